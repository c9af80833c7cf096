"""One KPI vocabulary: the KPI names the simulator defines (``sim.kpis``) are the names in
MLflow, TensorBoard, the report and the JSON lines, for a what-if and for a training run,
read back from a real embedded MLflow store and real TensorBoard event files."""

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from experiments.train import train
from sim.kpis import CHAIN_KPIS, KPI_NAMES, kpi_of_metric
from tests.experiments.mlflow_store import mlflow_logger
from tests.experiments.test_report import TINY_SKU_RUN

REPO = Path(__file__).resolve().parents[2]
# figures a run logs that are not KPIs (and say so by their names)
NOT_KPIS = {"win_share", "timesteps", "train_seconds", "gap_pct"}


def compose_cfg(name, overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def metric_names(tmp_path, run_id):
    from mlflow import MlflowClient

    return set(MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").get_run(run_id).data.metrics)


def kpis_of(names):
    """The KPIs of metric names; every name is a KPI metric or a named non-KPI figure."""
    kpis = {n: kpi_of_metric(n) for n in names}
    strays = {n for n, k in kpis.items() if k is None and n.rsplit("/", 1)[-1] not in NOT_KPIS}
    assert not strays, f"metrics outside the KPI vocabulary: {sorted(strays)}"
    return {k for k in kpis.values() if k is not None}


@pytest.mark.parametrize(
    ("name", "kpi"),
    [
        ("profit", "profit"),
        ("eval/profit_per_day", "profit_per_day"),
        ("profit.ci_low", "profit"),
        ("vs_reference/profit.ci_high", "profit"),
        ("cmaes/profit_per_day.best_so_far", "profit_per_day"),
        ("eval/avg_cost_per_period.ci_half", "avg_cost_per_period"),
        ("eval_profit_per_day", None),  # the old prefixed spelling is not a KPI name
        ("profit.median", None),  # not a statistic we report
        ("win_share", None),
        ("cmaes/sigma", None),
    ],
)
def test_a_metric_name_reads_back_as_its_kpi(name, kpi):
    assert kpi_of_metric(name) == kpi


def test_the_what_if_uses_the_simulators_kpi_names_everywhere(tmp_path):
    cfg = compose_cfg(
        "evaluate",
        [
            "scenario=yogurt_trio",
            "policies=[base_stock,transfer_rules]",
            "replications=2",
            "days=3",
            "warmup_days=1",
            "n_jobs=1",
            f"report_dir={tmp_path}/report",
            *mlflow_logger(tmp_path, "vocabulary"),
        ],
    )
    result = evaluate(cfg)
    json_line = json.loads(json.dumps(result, default=float))
    json_kpis = set(json_line["policies"]["transfer_rules"])
    assert json_kpis == set(CHAIN_KPIS)
    child = result["mlflow_child_run_ids"]["transfer_rules"]
    assert kpis_of(metric_names(tmp_path, child)) == json_kpis
    assert kpis_of(metric_names(tmp_path, result["mlflow_run_id"])) == {"profit"}
    diff_kpis = set(json_line["paired_differences"]["transfer_rules"])
    assert diff_kpis == json_kpis
    report = (tmp_path / "report" / "report.md").read_text()
    table = report.split("## KPIs", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[1].strip() for line in table.splitlines()[2:]}
    assert rows and rows <= KPI_NAMES and rows <= json_kpis


def test_a_training_run_names_its_evaluation_alike_in_mlflow_tensorboard_and_json(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    overrides = [o for o in TINY_SKU_RUN if not o.startswith("logger")]
    result = train(
        compose_cfg(
            "train",
            [*overrides, f"output_dir={tmp_path}/run", *mlflow_logger(tmp_path, "vocabulary")],
        )
    )
    (tb_run,) = (tmp_path / "run" / "tb").iterdir()
    events = EventAccumulator(str(tb_run))
    events.Reload()
    tb_eval = {t for t in events.Tags()["scalars"] if t.startswith("eval/")}
    mlflow_names = metric_names(tmp_path, result["mlflow_run_id"])
    json_eval = {k for k in result if k.startswith("eval/")}
    assert tb_eval == {n for n in mlflow_names if n.startswith("eval/")} == json_eval
    assert kpis_of(json_eval) == {"profit_per_day", "fill_rate", "waste_rate"}
    kpis_of(mlflow_names)  # nothing else logged outside the vocabulary
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert {k for k in saved if k.startswith("eval")} == json_eval
