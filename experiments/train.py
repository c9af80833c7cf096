"""Train an RL agent with stable-baselines3: ``python -m experiments.train [overrides]``.

``train(cfg)`` is a plain function (tests call it with composed configs); the
``@hydra.main`` wrapper only prints its result as one JSON line. A run:

1. builds the training vector env (``env=perishable``: ``n_envs`` copies of
   ``PerishableInventory-v0``; ``env=sku_agents``: one sub-env per store-SKU)
   wrapped in ``VecNormalize`` (observation/reward statistics saved with the model);
2. trains, evaluating every ``eval.every_steps`` on held-out seeds and saving
   a checkpoint (model + normalisation) every ``checkpoint_every_steps``;
   ``resume=true`` continues from the last checkpoint to ``total_timesteps``;
3. logs to TensorBoard (``<output_dir>/tb``) and MLflow (flattened config,
   git commit, seeds, evaluation KPIs, model and config artifacts);
4. evaluates the final policy on ``eval.final_periods`` periods per held-out
   seed and, for ``PerishableInventory-v0``, compares with the exact optimum.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import hydra
import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecMonitor, VecNormalize

import envs  # noqa: F401 - registers the ShelfLife ids
from experiments.checkpoints import best_checkpoint, mark_best, newest_readable, save_checkpoint
from experiments.replicate import sku_agent_episode
from experiments.tracking import (
    RUN_ID_FILE,
    NullTracker,
    flatten,
    git_commit,
    join_sweep,
    make_tracker,
    sigterm_as_exit,
)
from policies.rl.agent import SB3Agent
from policies.rl.algos import algo_class
from policies.tuning import mean_cost_in_env
from sim.errors import ConfigError
from sim.progress import progress
from sim.validation import integer_value

REPO = Path(__file__).resolve().parents[1]
LATEST = "latest"


def continuous_actions(cfg: DictConfig) -> bool:
    """The algorithm acts in a box (SAC): order quantities are offered as a Box."""
    return cfg.algo.get("action_space", "discrete") == "continuous"


def make_single_env(cfg: DictConfig) -> gym.Env:
    env = gym.make(cfg.env.id, **OmegaConf.to_container(cfg.env.kwargs, resolve=True))
    if continuous_actions(cfg):
        from envs.common.continuous import ContinuousOrders

        env = ContinuousOrders(env)
    return env


def build_env(cfg: DictConfig, seed: int) -> VecEnv:
    """The raw training vector env (not normalised)."""
    if cfg.env.kind == "single":
        n_envs = int(cfg.env.n_envs)
        if not continuous_actions(cfg) and gym.spec(cfg.env.id).vector_entry_point is not None:
            # the env's own batched vector env: the DummyVecEnv of single envs, to the bit,
            # in one array step (PerishableInventory-v0)
            from policies.rl.vec_env import VectorEnvAsVecEnv

            kwargs = OmegaConf.to_container(cfg.env.kwargs, resolve=True)
            venv = VectorEnvAsVecEnv.batched(cfg.env.id, n_envs, **kwargs)
        else:
            venv = DummyVecEnv([lambda: make_single_env(cfg) for _ in range(n_envs)])
        venv.seed(seed)
        return VecMonitor(venv)  # episode returns: TensorBoard's rollout/ep_rew_mean
    if cfg.env.kind == "sku_agents":
        from policies.rl.vec_env import SkuAgentVecEnv

        if continuous_actions(cfg):
            raise ConfigError(
                "algo",
                cfg.algo.name,
                "an algorithm with discrete actions (ppo, a2c, dqn, "
                "recurrent_ppo) for env=sku_agents; continuous ones (sac) fit env=perishable",
            )

        kwargs = sku_agent_kwargs(cfg)
        return VecMonitor(
            SkuAgentVecEnv(
                scenario=cfg.env.scenario, episode_days=cfg.env.episode_days, seed=seed, **kwargs
            )
        )  # each store-SKU's episode return: rollout/ep_rew_mean
    raise ConfigError("env.kind", cfg.env.kind, "single or sku_agents")


def sku_agent_kwargs(cfg: DictConfig) -> dict[str, Any]:
    """The SKU-agent env's keyword arguments, objects (``base_rule``) built by Hydra."""
    return instantiate(cfg.env.kwargs, _convert_="all")


# the held-out evaluation's metrics: TensorBoard tags, MLflow metrics and result keys alike
EVAL_PROFIT = "eval/profit_per_day"  # SKU-agent env (with eval/fill_rate, eval/waste_rate)
EVAL_COST = "eval/avg_cost_per_period"  # PerishableInventory-v0 (with its .ci_half)


def evaluate(
    cfg: DictConfig, model: Any, normalizer: VecNormalize | None, periods: int
) -> dict[str, float]:
    """Policy quality on the held-out seeds (common random numbers across policies)."""
    seeds = list(cfg.eval.seeds)
    if cfg.env.kind == "single":
        costs = mean_cost_in_env(
            lambda: make_single_env(cfg), lambda e: SB3Agent(model, normalizer), seeds, periods
        )
        half = 1.96 * costs.std(ddof=1) / math.sqrt(len(costs)) if len(costs) > 1 else 0.0
        return {EVAL_COST: float(costs.mean()), f"{EVAL_COST}.ci_half": float(half)}
    return evaluate_sku_agents(cfg, model, normalizer, seeds)


def evaluate_sku_agents(
    cfg: DictConfig, model: Any, normalizer: VecNormalize | None, seeds: list[int]
) -> dict[str, float]:
    """Chain KPIs of one episode per held-out seed under the deterministic policy."""
    from envs.sku_agents import SkuAgents

    kwargs = sku_agent_kwargs(cfg)
    agents = SkuAgents(scenario=cfg.env.scenario, episode_days=cfg.env.episode_days, **kwargs)
    agent = SB3Agent(model, normalizer)
    profits, fills, wastes = [], [], []
    for seed in seeds:
        k = sku_agent_episode(agents, agent, int(seed)).kpis().chain
        profits.append(k["profit"] / max(k["period_days"], 1e-9))
        fills.append(k["fill_rate"])
        wastes.append(k["waste_rate"])
    return {
        EVAL_PROFIT: float(np.mean(profits)),
        "eval/fill_rate": float(np.mean(fills)),
        "eval/waste_rate": float(np.mean(wastes)),
    }


def new_model(cfg: DictConfig, raw: VecEnv, output_dir: Path, algo_kwargs: dict[str, Any]) -> Any:
    """A fresh ``cfg.algo`` model on ``raw`` wrapped in ``VecNormalize`` (``cfg.env.normalize``),
    on the CPU, logging to ``<output_dir>/tb`` when the logger keeps TensorBoard."""
    norm = cfg.env.normalize
    venv = VecNormalize(
        raw,
        norm_obs=bool(norm.obs),
        norm_reward=bool(norm.reward),
        gamma=float(algo_kwargs.get("gamma", 0.99)),
    )
    tb = str(output_dir / "tb") if cfg.logger.get("tensorboard", False) else None
    return algo_class(cfg.algo.class_path)(
        cfg.algo.policy,
        venv,
        seed=int(cfg.seed),
        device="cpu",
        tensorboard_log=tb,
        verbose=0,
        **algo_kwargs,
    )


def checkpoint_paths(output_dir: Path, tag: str) -> tuple[Path, Path]:
    """``checkpoints/<tag>.zip`` and its statistics: the copy of the newest checkpoint that
    export and evaluate read (``tag`` = ``latest``)."""
    ckpt = output_dir / "checkpoints"
    return ckpt / f"{tag}.zip", ckpt / f"{tag}_vecnormalize.pkl"


def eval_score(metrics: dict[str, float]) -> tuple[str, float]:
    """The evaluation's figure to keep the best checkpoint by: (its name, a score where
    higher is better: the profit, or minus the cost)."""
    if EVAL_PROFIT in metrics:
        return EVAL_PROFIT, float(metrics[EVAL_PROFIT])
    return EVAL_COST, -float(metrics[EVAL_COST])


class EvalCheckpointCallback(BaseCallback):
    """Checkpoints and held-out evaluations during training, logged to TensorBoard and MLflow;
    the best evaluation's checkpoint is kept beside the newest ``checkpoint_keep``."""

    def __init__(self, cfg: DictConfig, output_dir: Path, tracker: NullTracker) -> None:
        super().__init__()
        self.cfg = cfg
        self.checkpoint_dir = output_dir / "checkpoints"
        self.tracker = tracker
        self._next_ckpt = int(cfg.checkpoint_every_steps)
        self._next_eval = int(cfg.eval.every_steps)
        best = best_checkpoint(self.checkpoint_dir)
        self._best = float(best["score"]) if best else -float("inf")

    def _on_training_start(self) -> None:
        done = self.model.num_timesteps
        every_c, every_e = int(self.cfg.checkpoint_every_steps), int(self.cfg.eval.every_steps)
        self._next_ckpt = (done // every_c + 1) * every_c
        self._next_eval = (done // every_e + 1) * every_e

    def _on_step(self) -> bool:
        saved = None
        if self.num_timesteps >= self._next_ckpt:
            saved = save_checkpoint(self.model, self.checkpoint_dir, int(self.cfg.checkpoint_keep))
            self._next_ckpt += int(self.cfg.checkpoint_every_steps)
        if self.num_timesteps >= self._next_eval:
            normalizer = self.model.get_vec_normalize_env()
            metrics = evaluate(self.cfg, self.model, normalizer, int(self.cfg.eval.periods))
            for key, value in metrics.items():  # the same names as in MLflow
                self.logger.record(key, value)
            self.tracker.log_metrics(metrics, step=self.num_timesteps)
            name, score = eval_score(metrics)
            if score > self._best:
                self._best = score
                saved = saved or save_checkpoint(
                    self.model, self.checkpoint_dir, int(self.cfg.checkpoint_keep)
                )
                mark_best(self.checkpoint_dir, saved, name, score)
            self._next_eval += int(self.cfg.eval.every_steps)
        return True


class TrainingProgress(BaseCallback):
    """Training timesteps as a progress bar (``sim.progress``: the lab's one style) that ends
    at ``total_timesteps``: the algorithm collects whole rollouts, so its own count passes the
    budget by up to one rollout, which SB3's bar showed as more than 100 %."""

    def __init__(self, total_timesteps: int, run_name: str, show: bool) -> None:
        super().__init__()
        self.total = total_timesteps
        self.run_name = run_name
        self.show = bool(show)

        self.steps_shown = 0  # what the bar says (also when it is not drawn)

    def _on_training_start(self) -> None:
        self.bar = progress(self.total, f"train {self.run_name}", unit="step", show=self.show)
        self._show(self.model.num_timesteps)  # a resumed run's steps

    def _on_step(self) -> bool:
        self._show(self.num_timesteps)
        return True

    def _show(self, timesteps: int) -> None:
        done = min(timesteps, self.total)
        self.bar.update(done - self.steps_shown)
        self.steps_shown = done

    def _on_training_end(self) -> None:
        self.bar.close()


def check_train_config(cfg: DictConfig) -> None:
    """Budgets and intervals by name before anything runs (a negative budget used to exit 0,
    a zero interval to divide by zero)."""
    integer_value(cfg.total_timesteps, "total_timesteps", 1, 10**12)
    integer_value(cfg.checkpoint_every_steps, "checkpoint_every_steps", 1, 10**12)
    integer_value(cfg.checkpoint_keep, "checkpoint_keep", 1, 10**6)
    integer_value(cfg.eval.every_steps, "eval.every_steps", 1, 10**12)
    integer_value(cfg.eval.periods, "eval.periods", 1, 10**9)
    integer_value(cfg.eval.final_periods, "eval.final_periods", 1, 10**9)


def optimum_for(cfg: DictConfig) -> float | None:
    """The exact optimal average cost per period of the configured single-SKU env."""
    if cfg.env.kind != "single" or cfg.env.id != "ShelfLife/PerishableInventory-v0":
        return None
    from policies.optimal import solve_average_cost
    from policies.optimal.config import problem_from_env_kwargs

    return float(
        solve_average_cost(
            problem_from_env_kwargs(**OmegaConf.to_container(cfg.env.kwargs, resolve=True))
        ).avg_cost
    )


def train(cfg: DictConfig) -> dict[str, Any]:
    """Train, evaluate and log one run; returns the result (also written to ``result.json``)."""
    check_train_config(cfg)
    torch.set_num_threads(int(cfg.torch_threads))
    output_dir = (
        (REPO / cfg.output_dir) if not Path(cfg.output_dir).is_absolute() else Path(cfg.output_dir)
    )
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    algo = algo_class(cfg.algo.class_path)
    raw = build_env(cfg, int(cfg.seed))
    checkpoint_dir = output_dir / "checkpoints"
    start = newest_readable(checkpoint_dir) if bool(cfg.resume) else None
    resumed = start is not None
    if bool(cfg.resume) and not resumed:
        raise ConfigError(
            "resume",
            True,
            f"a readable checkpoint under {checkpoint_dir} (none found: start without resume)",
        )
    if resumed:
        print(f"resuming from {start.folder} ({start.timesteps} timesteps)", file=sys.stderr)
        stats = start.stats_path
        venv = VecNormalize.load(str(stats), raw) if stats is not None else raw
        model = algo.load(start.model_path, env=venv, device="cpu")
    else:
        model = new_model(
            cfg, raw, output_dir, OmegaConf.to_container(cfg.algo.kwargs, resolve=True)
        )
    sweep = join_sweep(cfg.logger)  # a --multirun job: a child of the sweep's run
    tracker = make_tracker(cfg.logger, cfg.run_name)
    with tracker, sigterm_as_exit():
        tracker.log_params(flatten(cfg))
        tracker.set_tags(
            {
                **sweep,
                "git_commit": git_commit(),
                "seed": str(cfg.seed),
                "eval_seeds": str(list(cfg.eval.seeds)),
                "resumed": str(resumed),
                "resumed_from": start.folder.name if resumed else "",
                "output_dir": str(output_dir),
            }
        )
        tracker.close_abandoned("output_dir", str(output_dir))
        remaining = int(cfg.total_timesteps) - int(model.num_timesteps)
        t0 = time.perf_counter()
        if remaining > 0:
            callbacks = [
                EvalCheckpointCallback(cfg, output_dir, tracker),
                TrainingProgress(int(cfg.total_timesteps), str(cfg.run_name), cfg.progress_bar),
            ]
            model.learn(
                total_timesteps=remaining,
                callback=CallbackList(callbacks),
                reset_num_timesteps=not resumed,
                tb_log_name="train",
            )
        train_seconds = time.perf_counter() - t0
        last = save_checkpoint(model, checkpoint_dir, int(cfg.checkpoint_keep))
        final, stats_path = checkpoint_paths(output_dir, LATEST)
        normalizer = model.get_vec_normalize_env()
        if normalizer is not None:
            normalizer.training = False
        result: dict[str, Any] = {
            "run_name": cfg.run_name,
            "timesteps": int(model.num_timesteps),
            "train_seconds": round(train_seconds, 1),
            "model_path": str(final),
            "checkpoint": str(last.folder),
            "resumed": resumed,
            "resumed_from": str(start.folder) if resumed else None,
        }
        result.update(evaluate(cfg, model, normalizer, int(cfg.eval.final_periods)))
        optimum = optimum_for(cfg)
        if optimum is not None:
            result["optimal/avg_cost_per_period"] = optimum
            result["gap_pct"] = 100.0 * (result[EVAL_COST] - optimum) / optimum
        tracker.log_metrics(  # at the step it evaluates, beside the periodic evaluations
            {
                k: v
                for k, v in result.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            },
            step=int(model.num_timesteps),
        )
        (output_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        for path in (final, output_dir / "config.yaml", output_dir / "result.json"):
            tracker.log_artifact(path, "model" if path == final else None)
        if stats_path.exists():
            tracker.log_artifact(stats_path, "model")
        result["mlflow_run_id"] = tracker.run_id
        if tracker.run_id:  # what-ifs of this model link their runs to this one
            (output_dir / RUN_ID_FILE).write_text(tracker.run_id + "\n")
        else:  # an untracked run: an earlier run's id would link to the wrong training
            (output_dir / RUN_ID_FILE).unlink(missing_ok=True)
    return result


@hydra.main(config_path="../configs", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """Print the result as one JSON line; return the objective to minimise (for sweepers).

    The objective is the held-out evaluation's average cost per period, or minus
    the profit per day for the SKU-agent env.
    """
    if cfg.get("chain") is not None:  # experiment=city_fresh_chain: the whole study
        from experiments.chain_study import run_chain_study

        result = run_chain_study(cfg, train)
        print(json.dumps(result, default=float))
        ref = result["policies"][result["reference"]]["profit_per_day"]["mean"]
        return -float(result["policies"][result["learned"]]["profit_per_day"]["mean"] - ref)
    result = train(cfg)
    print(json.dumps(result))
    if EVAL_COST in result:
        return float(result[EVAL_COST])
    return -float(result[EVAL_PROFIT])


if __name__ == "__main__":
    main()
