"""CMA-ES on chain profit: the linear residual policy's parameters searched directly.

The gradient-free control for the learned policies: the same residual action on
the tuned rule as PPO (``SkuAgents(action_mode="residual")``), a linear policy
on the same observation (``policies.linear_residual``), and as objective the
chain's profit per day itself, averaged over training seeds that every
candidate shares (common random numbers). It shows what the policy class can
reach without gradient noise.

    python -m experiments.cmaes                       # configs/cmaes.yaml
    python -m experiments.cmaes generations=40 popsize=16 train_seeds=[1000,1001,1002,1003]

Prints one JSON line: best profit per day on the training seeds, the neutral
policy's (the rule's) on the same seeds, generations, evaluations, seconds,
and where the policy was saved (``<output_dir>/policy.json``).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from experiments.replicate import sku_agent_episode
from experiments.tracking import flatten, make_tracker
from policies.linear_residual import LinearResidualPolicy
from sim.errors import ConfigError

_WORKER: dict[str, Any] = {}


def _init_worker(env_kwargs: dict[str, Any]) -> None:
    """One env per worker process, built once (its scenario and rule are reused)."""
    from envs.sku_agents import SkuAgents

    _WORKER["agents"] = SkuAgents(**instantiate(env_kwargs, _convert_="all"))


def _profit_per_day(theta: np.ndarray, seed: int) -> float:
    sim = sku_agent_episode(_WORKER["agents"], LinearResidualPolicy.from_vector(theta), seed)
    k = sim.kpis().chain
    return k["profit"] / max(k["period_days"], 1e-9)


def _mean_profit(
    pool: ProcessPoolExecutor, thetas: list[np.ndarray], seeds: list[int]
) -> list[float]:
    """Mean profit per day of each candidate over the same seeds (common random numbers)."""
    jobs = [(i, s) for i in range(len(thetas)) for s in seeds]
    values = list(pool.map(_profit_per_day, [thetas[i] for i, _ in jobs], [s for _, s in jobs]))
    per = np.asarray(values).reshape(len(thetas), len(seeds))
    return per.mean(axis=1).tolist()


def optimise(cfg: DictConfig) -> dict[str, Any]:
    """Run the search; returns the result written to ``<output_dir>/result.json``."""
    if int(cfg.generations) < 1 or int(cfg.popsize) < 2:
        raise ConfigError("generations/popsize", (cfg.generations, cfg.popsize), ">= 1 and >= 2")
    seeds = [int(s) for s in cfg.train_seeds]
    if not seeds or set(seeds) & set(range(9000, 10000)):
        raise ConfigError(
            "train_seeds", seeds, "training seeds, none of the evaluation seeds 9000+"
        )
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    env_kwargs = OmegaConf.to_container(cfg.env, resolve=True)
    with make_tracker(cfg.logger, str(cfg.run_name)) as tracker:
        tracker.log_params(flatten(OmegaConf.to_container(cfg, resolve=True)))
        return _search(cfg, env_kwargs, seeds, out, tracker)


def _search(
    cfg: DictConfig, env_kwargs: dict[str, Any], seeds: list[int], out: Path, tracker: Any
) -> dict[str, Any]:
    import cma

    es = cma.CMAEvolutionStrategy(
        np.zeros(LinearResidualPolicy.N_PARAMS),
        float(cfg.sigma0),
        {"popsize": int(cfg.popsize), "seed": int(cfg.seed) + 1, "verbose": -9},
    )
    from torch.utils.tensorboard import SummaryWriter

    start = time.perf_counter()
    history = []
    board = SummaryWriter(str(out / "tb"))  # the search's curve beside PPO's (tensorboard --logdir)
    with board, ProcessPoolExecutor(
        max_workers=int(cfg.workers), initializer=_init_worker, initargs=(env_kwargs,)
    ) as pool:
        neutral = _mean_profit(pool, [np.zeros(LinearResidualPolicy.N_PARAMS)], seeds)[0]
        best_theta, best_value = np.zeros(LinearResidualPolicy.N_PARAMS), neutral
        for generation in range(int(cfg.generations)):
            thetas = [np.asarray(t) for t in es.ask()]
            values = _mean_profit(pool, thetas, seeds)
            es.tell(thetas, [-v for v in values])
            top = int(np.argmax(values))
            if values[top] > best_value:
                best_theta, best_value = thetas[top], values[top]
            row = {
                "generation": generation + 1,
                "best": max(values),
                "mean": float(np.mean(values)),
                "best_so_far": best_value,
                "sigma": float(es.sigma),
            }
            history.append(row)
            for key in ("best", "mean", "best_so_far", "sigma"):
                board.add_scalar(f"cmaes/{key}", row[key], generation + 1)
            tracker.log_metrics({f"cmaes/{k}": v for k, v in row.items() if k != "generation"},
                                step=generation + 1)  # fmt: skip
            print(json.dumps(row), flush=True)
    policy = LinearResidualPolicy.from_vector(best_theta)
    policy.save(out / "policy.json")
    result = {
        "best_profit_per_day_train": best_value,
        "neutral_profit_per_day_train": neutral,
        "gain_pct_train": 100.0 * (best_value - neutral) / abs(neutral),
        "generations": int(cfg.generations),
        "evaluations": len(seeds) * (1 + int(cfg.generations) * int(cfg.popsize)),
        "train_seeds": seeds,
        "train_seconds": round(time.perf_counter() - start, 1),
        "policy_path": str(out / "policy.json"),
        "history": history,
    }
    (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    tracker.log_metrics({"train_profit_per_day": best_value, "neutral_profit_per_day": neutral})
    tracker.log_artifact(out / "policy.json")
    tracker.log_artifact(out / "result.json")
    return result


@hydra.main(config_path="../configs", config_name="cmaes", version_base="1.3")
def main(cfg: DictConfig) -> None:
    result = optimise(cfg)
    print(json.dumps({k: v for k, v in result.items() if k != "history"}))


if __name__ == "__main__":
    main()
