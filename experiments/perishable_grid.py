"""One PPO configuration against the exact optimum on every cell of ``PerishableInventory-v0``.

    python -m experiments.perishable_grid                  # configs/perishable_grid.yaml: 12 cells
    python -m experiments.perishable_grid total_timesteps=20000 'grid.life_days=[2]'

For each cell (life ``m``, lead time ``L``, issuing rule; costs and demand from
``env.kwargs``, the same for every cell):

1. the project's solver (``policies.optimal.solve_average_cost``) gives the optimal
   average cost per period and its policy table; the best base-stock level
   (``best_base_stock``) is reported beside it;
2. PPO is trained with the one configuration ``cfg.algo`` (``configs/algo/ppo_perishable.yaml``,
   the same for every cell) on ``env.n_envs`` replications of the env stepped as one
   batch (its vector entry point, ``policies.rl.vec_env.VectorEnvAsVecEnv``; one
   process, ``torch_threads`` threads), observations and rewards normalised by
   ``VecNormalize`` (statistics saved beside the model); ``algo.learning_rate_schedule:
   linear`` anneals the learning rate to 0 over ``total_timesteps``, ``algo.ent_coef_schedule:
   linear`` the entropy coefficient;
3. the trained policy (argmax action, frozen normalisation) is evaluated two ways:

   * **simulated**, on the held-out ``eval.seeds`` (never used in training), each
     ``eval.periods`` periods after ``eval.burn_in`` without the 365-period time limit,
     all seeds as one batch of the vector env;
     the optimal table plays the same seeds (common random numbers), and the gap is
     the paired difference ``100 · (cost_ppo − cost_opt) / optimum`` per seed, with
     its 95 % Student-t interval;
   * **exactly**: the policy's action in every state of the solver's state space
     is read into a table and ``evaluate_policy`` gives its long-run average cost
     (no sampling error) and ``exact_gap_pct``.

``evaluate_only=true`` skips training and evaluates the models a previous run saved in
``output_dir`` (training seconds are taken from the report already in ``report_dir``).

Writes ``<report_dir>/grid.json`` and ``grid.md``, logs one MLflow run (per-cell
metrics prefixed by the cell's name; the report files as artifacts), TensorBoard
curves under ``<output_dir>/<cell>/tb``, and prints one JSON line: the cells with
their gaps, ``max_gap_pct``, ``cells_within_target`` and the seconds.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.utils import LinearSchedule
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

import envs  # noqa: F401 - registers the ShelfLife ids
from envs.perishable.vector import PerishableInventoryVectorEnv
from experiments.stats import mean_ci
from experiments.tracking import flatten, git_commit, make_tracker
from experiments.train import new_model
from policies.optimal import PerishableProblem, best_base_stock, evaluate_policy, policy_chain
from policies.optimal.config import problem_from_env_kwargs
from policies.optimal.solver import solve_average_cost
from policies.rl.agent import SB3Agent
from policies.rl.algos import algo_class
from policies.rl.vec_env import VectorEnvAsVecEnv
from sim.errors import ConfigError
from sim.validation import integer_value

REPO = Path(__file__).resolve().parents[1]
SCHEDULES = ("constant", "linear")


def cell_name(cell: dict[str, Any]) -> str:
    """``m2_L1_fifo``: a cell's name in reports, paths and MLflow metric prefixes."""
    return f"m{cell['life_days']}_L{cell['lead_time']}_{cell['issuing']}"


def grid_cells(cfg: DictConfig) -> list[dict[str, Any]]:
    """Every combination of ``grid.lead_time`` × ``grid.life_days`` × ``grid.issuing``."""
    g = cfg.grid
    return [
        {"life_days": int(m), "lead_time": int(lead), "issuing": str(rule)}
        for lead, m, rule in itertools.product(g.lead_time, g.life_days, g.issuing)
    ]


def cell_env_kwargs(cfg: DictConfig, cell: dict[str, Any]) -> dict[str, Any]:
    kwargs = OmegaConf.to_container(cfg.env.kwargs, resolve=True)
    kwargs.update(cell)
    return kwargs


def check_config(cfg: DictConfig) -> None:
    """Refuse evaluation seeds that training uses, and unknown schedules, by name."""
    if cfg.env.kind != "single" or cfg.env.id != "ShelfLife/PerishableInventory-v0":
        raise ConfigError("env", cfg.env.get("name"), "perishable (PerishableInventory-v0)")
    train_seeds = set(range(int(cfg.seed), int(cfg.seed) + int(cfg.env.n_envs)))
    clash = sorted(train_seeds & {int(s) for s in cfg.eval.seeds})
    if clash:
        raise ConfigError(
            "eval.seeds", clash, f"seeds outside the training envs' {sorted(train_seeds)}"
        )
    if len(cfg.eval.seeds) < 2:
        raise ConfigError("eval.seeds", list(cfg.eval.seeds), "at least 2 seeds (an interval)")
    integer_value(cfg.workers, "workers", 1, 64)
    for key in ("learning_rate_schedule", "ent_coef_schedule"):
        schedule = cfg.algo.get(key, "constant")
        if schedule not in SCHEDULES:
            raise ConfigError(f"algo.{key}", schedule, " or ".join(SCHEDULES))


def _algo_kwargs(cfg: DictConfig) -> dict[str, Any]:
    kwargs = OmegaConf.to_container(cfg.algo.kwargs, resolve=True)
    if cfg.algo.get("learning_rate_schedule", "constant") == "linear":
        # SB3 calls the schedule with the remaining progress (1 at the start, 0 at the end)
        kwargs["learning_rate"] = LinearSchedule(float(kwargs["learning_rate"]), 0.0, 1.0)
    return kwargs


class AnnealEntropy(BaseCallback):
    """``ent_coef`` falls linearly from its configured value to 0 over ``total_timesteps``
    (``algo.ent_coef_schedule: linear``): exploration early, a sharp policy at the end.
    SB3 reads ``model.ent_coef`` in each update, so it is set before each one."""

    def __init__(self, start: float, total_timesteps: int) -> None:
        super().__init__()
        self.start = start
        self.total_timesteps = total_timesteps

    def _on_rollout_end(self) -> None:
        remaining = max(0.0, 1.0 - self.model.num_timesteps / self.total_timesteps)
        self.model.ent_coef = self.start * remaining
        self.logger.record("train/ent_coef", self.model.ent_coef)

    def _on_step(self) -> bool:
        return True


def train_cell(
    cfg: DictConfig, env_kwargs: dict[str, Any], out_dir: Path
) -> tuple[Any, VecNormalize, float]:
    """Train PPO on one cell; returns (model, frozen normaliser, training seconds)."""
    # the registered 365-period time limit; SB3 bootstraps the truncated value
    batch = VectorEnvAsVecEnv.batched(cfg.env.id, int(cfg.env.n_envs), **env_kwargs)
    raw = VecMonitor(batch)  # episode returns for rollout/ep_rew_mean
    raw.seed(int(cfg.seed))
    model = new_model(cfg, raw, out_dir, _algo_kwargs(cfg))
    venv = model.get_vec_normalize_env()
    t0 = time.perf_counter()
    total = int(cfg.total_timesteps)
    callback = None
    if cfg.algo.get("ent_coef_schedule", "constant") == "linear":
        callback = AnnealEntropy(float(cfg.algo.kwargs.ent_coef), total)
    model.learn(total_timesteps=total, tb_log_name="train", callback=callback)
    seconds = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(out_dir / "model.zip")
    venv.save(str(out_dir / "vecnormalize.pkl"))
    venv.training = False
    return model, venv, seconds


def load_cell(
    cfg: DictConfig, cell: dict[str, Any], out_dir: Path
) -> tuple[Any, VecNormalize, float | None]:
    """``evaluate_only``: the cell's saved model and frozen normaliser, and its training
    seconds from the grid report already in ``report_dir`` (None when it has none)."""
    model_path, stats_path = out_dir / "model.zip", out_dir / "vecnormalize.pkl"
    if not (model_path.exists() and stats_path.exists()):
        raise ConfigError("evaluate_only", True, f"a trained cell at {out_dir} (train it first)")
    model = algo_class(cfg.algo.class_path).load(model_path, device="cpu")
    raw = VectorEnvAsVecEnv.batched(cfg.env.id, 1, **cell_env_kwargs(cfg, cell))
    normalizer = VecNormalize.load(str(stats_path), raw)
    normalizer.training = False
    report = _report_dir(cfg) / "grid.json"
    seconds = None
    if report.exists():
        rows = {c["cell"]: c for c in json.loads(report.read_text())["cells"]}
        seconds = rows.get(cell_name(cell), {}).get("train_seconds")
    return model, normalizer, seconds


def policy_table(problem: PerishableProblem, agent: Any) -> np.ndarray:
    """The agent's deterministic order in every state of the solver's state space."""
    states = np.indices(problem.dims).reshape(problem.obs_dim, -1).T.astype(np.float32)
    table = np.empty(states.shape[0], dtype=np.int16)
    step = 65_536
    for a in range(0, states.shape[0], step):
        actions, _ = agent.predict(states[a : a + step], deterministic=True)
        table[a : a + step] = np.asarray(actions).ravel()
    return table  # C order over the observation = problem.state_indices' order


def same_order_share(
    problem: PerishableProblem, optimal_table: np.ndarray, table: np.ndarray
) -> float:
    """Probability that ``table`` orders what the optimum orders, in the optimum's long run."""
    chain = policy_chain(problem, optimal_table)
    same = table[chain.states] == optimal_table[chain.states]
    return float(chain.stationary[same].sum())


def mean_costs_batched(
    env_kwargs: dict[str, Any], act: Any, seeds: list[int], periods: int, burn_in: int
) -> np.ndarray:
    """Mean cost per period after ``burn_in`` of a policy on each seed, all seeds stepped as
    one batch (the vector env: replication i is the single env seeded ``seeds[i]``, here
    without a time limit); ``act`` maps a batch of observations to orders."""
    venv = PerishableInventoryVectorEnv(
        num_envs=len(seeds), max_episode_steps=burn_in + periods + 1, **env_kwargs
    )
    obs, _ = venv.reset(seed=[int(s) for s in seeds])
    total = np.zeros(len(seeds))
    for t in range(burn_in + periods):
        obs, rewards, _, _, _ = venv.step(act(obs))
        if t >= burn_in:
            total -= rewards
    return total / periods


def evaluate_cell(
    cfg: DictConfig, problem: PerishableProblem, optimal_table: np.ndarray, agent: SB3Agent
) -> dict[str, Any]:
    """Simulated costs of PPO and the optimal table on the same held-out seeds, and the gaps."""
    kwargs = problem.env_kwargs()
    seeds = [int(s) for s in cfg.eval.seeds]
    periods, burn_in = int(cfg.eval.periods), int(cfg.eval.burn_in)

    def ppo(obs: np.ndarray) -> np.ndarray:
        return np.asarray(agent.predict(obs, deterministic=True)[0]).ravel()

    def optimal(obs: np.ndarray) -> np.ndarray:
        return optimal_table[np.ravel_multi_index(obs.astype(np.int64).T, problem.dims)]

    return {
        "ppo_costs": mean_costs_batched(kwargs, ppo, seeds, periods, burn_in).tolist(),
        "optimal_costs": mean_costs_batched(kwargs, optimal, seeds, periods, burn_in).tolist(),
    }


def run_cell(cfg: DictConfig, cell: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Solve, train, evaluate one cell (see the module docstring)."""
    env_kwargs = cell_env_kwargs(cfg, cell)
    problem = problem_from_env_kwargs(**env_kwargs)
    t0 = time.perf_counter()
    solution = solve_average_cost(problem)
    bs_level, bs_cost = best_base_stock(problem)
    solve_seconds = time.perf_counter() - t0
    optimum = float(solution.avg_cost)

    if bool(cfg.evaluate_only):
        model, normalizer, train_seconds = load_cell(cfg, cell, out_dir)
    else:
        model, normalizer, train_seconds = train_cell(cfg, env_kwargs, out_dir)
    agent = SB3Agent(model, normalizer)
    t1 = time.perf_counter()
    sim = evaluate_cell(cfg, problem, solution.table, agent)
    gaps = 100.0 * (np.asarray(sim["ppo_costs"]) - np.asarray(sim["optimal_costs"])) / optimum
    gap = mean_ci(gaps)
    table = policy_table(problem, agent)
    exact = float(evaluate_policy(problem, table))
    eval_seconds = time.perf_counter() - t1
    return {
        "cell": cell_name(cell),
        **cell,
        "states": int(problem.n_states),
        "optimal_avg_cost": optimum,
        "base_stock_level": int(bs_level),
        "base_stock_avg_cost": float(bs_cost),
        "base_stock_gap_pct": 100.0 * (bs_cost - optimum) / optimum,
        "ppo_avg_cost_sim": float(np.mean(sim["ppo_costs"])),
        "optimal_avg_cost_sim": float(np.mean(sim["optimal_costs"])),
        "gap_pct": gap["mean"],
        "gap_ci_low": gap["ci_low"],
        "gap_ci_high": gap["ci_high"],
        "gap_pct_by_seed": gaps.tolist(),
        "ppo_costs_by_seed": sim["ppo_costs"],
        "optimal_costs_by_seed": sim["optimal_costs"],
        "ppo_avg_cost_exact": exact,
        "exact_gap_pct": 100.0 * (exact - optimum) / optimum,
        "same_order_share": same_order_share(problem, solution.table, table),
        "within_target": bool(gap["ci_high"] <= float(cfg.target_gap_pct)),
        "timesteps": int(model.num_timesteps),
        "solve_seconds": round(solve_seconds, 1),
        "train_seconds": None if train_seconds is None else round(train_seconds, 1),
        "eval_seconds": round(eval_seconds, 1),
        "model_path": str(out_dir / "model.zip"),
    }


def markdown(result: dict[str, Any]) -> str:
    """The grid as a Markdown table (what ``grid.md`` holds)."""
    lines = [
        "# PPO against the exact optimum on PerishableInventory-v0",
        "",
        f"One PPO configuration (`configs/algo/{result['algo']['name']}.yaml`), "
        f"{result['total_timesteps']:,} steps per cell, training seed {result['seed']}; "
        f"evaluation on held-out seeds {result['eval']['seeds']} × {result['eval']['periods']} "
        f"periods (after a burn-in of {result['eval']['burn_in']}), the optimal table on the "
        "same seeds (common random numbers). Gap = 100 · (PPO − optimal) / optimal average "
        "cost per period; interval: 95 % Student-t over the paired seeds. `exact gap`: the "
        "PPO policy's table evaluated exactly by the solver's chain (no sampling error). "
        "`same order as optimal`: probability, in the optimal policy's long run, that PPO "
        "orders what the optimum orders. "
        f"Target: gap ≤ {result['target_gap_pct']} %.",
        "",
        "| cell | life | L | issuing | optimum | best base stock (gap %) | PPO (sim) "
        "| gap % | 95 % interval | exact gap % | same order as optimal | train s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["cells"]:
        lines.append(
            f"| {c['cell']} | {c['life_days']} | {c['lead_time']} | {c['issuing']} "
            f"| {c['optimal_avg_cost']:.4f} | {c['base_stock_level']}: "
            f"{c['base_stock_avg_cost']:.4f} ({c['base_stock_gap_pct']:.2f}) "
            f"| {c['ppo_avg_cost_sim']:.4f} | {c['gap_pct']:.2f} "
            f"| [{c['gap_ci_low']:.2f}, {c['gap_ci_high']:.2f}] | {c['exact_gap_pct']:.2f} "
            f"| {100 * c['same_order_share']:.0f} % | {_seconds(c['train_seconds'])} |"
        )
    lines += [
        "",
        f"Cells within {result['target_gap_pct']} % (upper end of the interval): "
        f"{result['cells_within_target']} of {len(result['cells'])}; largest gap "
        f"{result['max_gap_pct']:.2f} % (exact: {result['max_exact_gap_pct']:.2f} %). "
        f"{_timing(result)}",
        "",
        f"Git commit: `{result['git_commit']}`.",
        "",
    ]
    return "\n".join(lines)


def run_grid(cfg: DictConfig) -> dict[str, Any]:
    """Every cell; writes the report and returns the result (the printed JSON line)."""
    check_config(cfg)
    torch.set_num_threads(int(cfg.torch_threads))
    output_dir = Path(cfg.output_dir)
    output_dir = output_dir if output_dir.is_absolute() else REPO / output_dir
    report_dir = _report_dir(cfg)
    report_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    commit = git_commit()  # at the start: the code that ran, whatever changes meanwhile
    trained_at = commit
    if bool(cfg.evaluate_only) and (report_dir / "grid.json").exists():
        previous = json.loads((report_dir / "grid.json").read_text())
        trained_at = previous.get("trained_at_commit", previous.get("git_commit", "unknown"))
    tracker = make_tracker(cfg.logger, cfg.run_name)
    cells: list[dict[str, Any]] = []
    with tracker:
        tracker.log_params(flatten(cfg))
        tracker.set_tags({"git_commit": commit, "study": "perishable_grid"})
        for row in _run_cells(cfg, output_dir):
            cells.append(row)
            print(json.dumps({k: row[k] for k in _SHOWN}), flush=True)
            tracker.log_metrics(
                {
                    f"{row['cell']}/{k}": row[k]
                    for k in ("gap_pct", "gap_ci_high", "exact_gap_pct", "train_seconds")
                }
            )
        result = {
            "study": "perishable_grid",
            "algo": OmegaConf.to_container(cfg.algo, resolve=True),
            "total_timesteps": int(cfg.total_timesteps),
            "seed": int(cfg.seed),
            "n_envs": int(cfg.env.n_envs),
            "env_kwargs": OmegaConf.to_container(cfg.env.kwargs, resolve=True),
            "eval": OmegaConf.to_container(cfg.eval, resolve=True),
            "target_gap_pct": float(cfg.target_gap_pct),
            "torch_threads": int(cfg.torch_threads),
            "workers": int(cfg.workers),
            "cells": cells,
            "max_gap_pct": max(c["gap_pct"] for c in cells),
            "max_exact_gap_pct": max(c["exact_gap_pct"] for c in cells),
            "cells_within_target": sum(c["within_target"] for c in cells),
            "seconds": round(time.perf_counter() - t0, 1),
            "git_commit": commit,
            "evaluate_only": bool(cfg.evaluate_only),
            "trained_at_commit": trained_at,
        }
        (report_dir / "grid.json").write_text(json.dumps(result, indent=2) + "\n")
        (report_dir / "grid.md").write_text(markdown(result))
        tracker.log_metrics(
            {k: result[k] for k in ("max_gap_pct", "max_exact_gap_pct", "cells_within_target")}
        )
        for name in ("grid.json", "grid.md"):
            tracker.log_artifact(report_dir / name)
        result["mlflow_run_id"] = tracker.run_id
    return result


def _timing(result: dict[str, Any]) -> str:
    if result.get("evaluate_only"):
        return (
            f"Evaluation only ({result['seconds'] / 60:.1f} min) of the models trained at commit "
            f"`{result['trained_at_commit']}` (train s: that run's)."
        )
    return (
        f"Total {result['seconds'] / 60:.1f} min: {result['workers']} cell(s) at a time, "
        f"{result['torch_threads']} torch thread(s) each."
    )


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def _report_dir(cfg: DictConfig) -> Path:
    report_dir = Path(cfg.report_dir)
    return report_dir if report_dir.is_absolute() else REPO / report_dir


def _run_cells(cfg: DictConfig, output_dir: Path) -> Iterator[dict[str, Any]]:
    """Each cell's row, in the grid's order; ``workers`` > 1 trains cells in that many
    processes (one torch thread each: a cell's result does not depend on where it ran)."""
    cells = grid_cells(cfg)
    workers = int(cfg.workers)
    if workers == 1:
        for cell in cells:
            yield run_cell(cfg, cell, output_dir / cell_name(cell))
        return
    context = multiprocessing.get_context("spawn")  # torch and fork do not mix
    with ProcessPoolExecutor(min(workers, len(cells)), mp_context=context) as pool:
        futures = [
            pool.submit(_run_cell_in_worker, cfg, cell, output_dir / cell_name(cell))
            for cell in cells
        ]
        for future in futures:
            yield future.result()


def _run_cell_in_worker(cfg: DictConfig, cell: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    torch.set_num_threads(int(cfg.torch_threads))
    return run_cell(cfg, cell, out_dir)


_SHOWN = ("cell", "optimal_avg_cost", "gap_pct", "gap_ci_high", "exact_gap_pct", "train_seconds")


@hydra.main(config_path="../configs", config_name="perishable_grid", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Print the grid as one JSON line; return the largest gap (for sweepers)."""
    result = run_grid(cfg)
    summary = {
        k: result[k]
        for k in ("study", "max_gap_pct", "max_exact_gap_pct", "cells_within_target", "seconds")
    }
    summary["cells"] = {c["cell"]: {k: c[k] for k in _SHOWN[1:]} for c in result["cells"]}
    print(json.dumps(summary))
    return float(result["max_gap_pct"])


if __name__ == "__main__":
    main()
