"""Learning curves in the what-if report, read from what experiments.train really writes."""

import json
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from experiments.replicate import replicate_rule
from experiments.report import read_learning_curve
from experiments.train import train
from policies.configs import policy_config
from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EVAL_SEEDS = [9000, 9001]
# a real training run on the SKU-agent env, small enough for a test: 3 agents, 3-day
# episodes, a periodic held-out evaluation every 150 timesteps
TINY_SKU_RUN = [
    "env=sku_agents",
    "env.scenario=yogurt_trio",
    "env.episode_days=3",
    "env.kwargs.warmup_days=1",
    "total_timesteps=600",
    "checkpoint_every_steps=100000",
    "eval.every_steps=150",
    f"eval.seeds=[{EVAL_SEEDS[0]},{EVAL_SEEDS[1]}]",
    "progress_bar=false",
    "algo.kwargs.n_steps=16",
    "algo.kwargs.batch_size=48",
    "algo.kwargs.n_epochs=1",
    "logger=none",
    "logger.tensorboard=true",  # the periodic evaluations are TensorBoard scalars
]


def compose_cfg(name, overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "ppo"
    train(compose_cfg("train", [*TINY_SKU_RUN, f"output_dir={out}"]))
    return out


def test_the_curve_holds_every_periodic_evaluation_of_the_run(run_dir):
    curve = read_learning_curve("ppo", run_dir)
    result = json.loads((run_dir / "result.json").read_text())
    assert curve.metric == "eval/profit_per_day" and curve.higher_is_better
    assert len(curve.timesteps) == 4  # every 150 of ~600 timesteps
    assert curve.timesteps == sorted(curve.timesteps) and curve.timesteps[-1] <= result["timesteps"]
    assert all(np.isfinite(curve.values))
    assert curve.final == (result["timesteps"], pytest.approx(result["eval/profit_per_day"]))
    assert curve.eval_seeds == EVAL_SEEDS


def test_the_report_plots_the_curve_against_the_baselines_on_the_same_evaluation(run_dir, tmp_path):
    cfg = compose_cfg(
        "evaluate",
        [
            "scenario=yogurt_trio",
            "policies=[base_stock,perishable_base_stock]",
            "replications=2",
            "days=3",
            "warmup_days=1",
            "n_jobs=1",
            "logger=none",
            f"report_dir={tmp_path}",
            f"+learning_curves.ppo={run_dir}",
        ],
    )
    result = evaluate(cfg)
    curve = result["learning_curves"]["ppo"]
    assert curve["metric"] == "eval/profit_per_day" and curve["points"] == 4
    # each baseline is the heuristic run as train.py evaluates: same seeds, warm-up, days
    conf = policy_config("base_stock", cfg, scenario="yogurt_trio")
    by_hand = np.mean(
        [replicate_rule("yogurt_trio", conf, s, 3, 1)["kpis"]["profit_per_day"] for s in EVAL_SEEDS]
    )
    assert curve["baselines"]["base_stock"] == pytest.approx(by_hand)
    assert set(curve["baselines"]) == {"base_stock", "perishable_base_stock"}
    png = tmp_path / "learning_curve_ppo.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    report = (tmp_path / "report.md").read_text()
    assert (
        "## Learning curves" in report and "![learning_curve_ppo](learning_curve_ppo.png)" in report
    )
    assert 'alt="learning_curve_ppo"' in (tmp_path / "report.html").read_text()


def test_a_folder_that_is_not_a_training_run_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"experiments\.train"):
        read_learning_curve("ppo", tmp_path)
    (tmp_path / "config.yaml").write_text("env: {kind: sku_agents}\n")
    with pytest.raises(ConfigError, match=r"logger\.tensorboard=true"):
        read_learning_curve("ppo", tmp_path)


def test_a_run_without_periodic_evaluations_is_refused(tmp_path):
    from stable_baselines3.common.logger import configure

    (tmp_path / "config.yaml").write_text("env: {kind: sku_agents}\n")
    # the same writer train.py's model logs through, with training scalars only
    logger = configure(str(tmp_path / "tb" / "train_1"), ["tensorboard"])
    logger.record("train/loss", 1.0)
    logger.dump(step=64)
    logger.close()
    with pytest.raises(ConfigError, match=r"eval\.every_steps"):
        read_learning_curve("ppo", tmp_path)


def test_the_winner_per_kpi_respects_direction_ties_and_kpis_without_one():
    from experiments.report import kpi_winners

    def kpi(mean):
        return {"mean": mean, "ci_low": mean, "ci_high": mean}

    summary = {
        "a": {"profit": kpi(10.0), "waste_rate": kpi(0.2), "order_response_hours": kpi(21.0)},
        "b": {"profit": kpi(12.0), "waste_rate": kpi(0.1), "order_response_hours": kpi(21.0)},
    }
    for s in summary.values():
        s["transfers_units"] = kpi(5.0)
    kpis = ["profit", "waste_rate", "order_response_hours", "transfers_units"]
    assert kpi_winners(summary, ["a", "b"], kpis) == {
        "profit": "b",  # higher is better
        "waste_rate": "b",  # lower is better
        "order_response_hours": "tie",
    }


def test_a_search_curve_that_is_not_a_cmaes_result_is_refused_by_name(tmp_path):
    from experiments.report import read_search_curve
    from sim.errors import ConfigError

    (tmp_path / "result.json").write_text('{"history": []}')
    with pytest.raises(ConfigError, match=r"search_curves\.orders"):
        read_search_curve("orders", tmp_path)


def _outcome(per_rep: dict[str, list[float]], measure: str = "profit_per_day") -> dict:
    from experiments.stats import mean_ci

    return {
        "summary": {n: {measure: mean_ci(v)} for n, v in per_rep.items()},
        "per_replication": {n: {measure: v} for n, v in per_rep.items()},
    }


def test_the_headline_names_the_winner_its_gap_and_the_paired_interval():
    from experiments.report import headline

    # a − b per seed: 2, 4, 6 → mean 4, sd 2, t(0.975, 2) = 4.3027: 4 ± 4.3027 × 2 / √3 = 4 ± 4.968
    text = headline(_outcome({"b": [10, 10, 10], "a": [12, 14, 16]}), "profit", True)
    assert text.startswith("**a** is ahead of **b** by 4.000 profit/day (+40.0 %)")
    assert "[-0.968, 8.968]" in text and "includes zero" in text
    text = headline(_outcome({"b": [10, 10, 10], "a": [13, 14, 15]}), "profit", True)
    assert text.startswith("**a** beats **b** by 4.000 profit/day (+40.0 %); 95 % CI")


def test_the_headline_for_a_cost_speaks_of_less_cost_with_a_positive_interval():
    from experiments.report import headline

    per = {"opt": [4.0, 4.1, 3.9], "bs": [5.0, 5.2, 4.9]}
    text = headline(_outcome(per, "avg_cost_per_period"), "avg_cost_per_period", False)
    assert text.startswith("**opt** beats **bs** by 1.033 cost/period less (+20.5 %)")
    low, high = (float(x) for x in text.split("[", 1)[1].split("]")[0].split(", "))
    assert 0 < low < high


def test_the_headline_with_one_seed_a_tie_or_a_nan_policy_claims_nothing_it_cannot():
    from experiments.report import headline

    assert "on 1 seed: no interval" in headline(_outcome({"a": [3.0], "b": [1.0]}), "profit", True)
    assert headline(_outcome({"a": [2.0, 2.0], "b": [2.0, 2.0]}), "profit", True).startswith(
        "**a** and **b** tie"
    )
    text = headline(_outcome({"x": [float("nan")] * 2, "a": [2, 3], "b": [1, 1]}), "profit", True)
    assert text.startswith("**a**") and "x: no finite profit_per_day, not ranked" in text
