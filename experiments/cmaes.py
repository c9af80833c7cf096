"""CMA-ES on chain profit: a policy's parameters searched directly.

The gradient-free control for the learned policies. The objective is the
chain's profit per day itself, averaged over training seeds that every
candidate shares (common random numbers), on the SKU-agent env with the
residual action on the tuned rule (``SkuAgents(action_mode="residual")``).
``search`` picks what is searched:

* ``orders``: the linear residual order policy (``policies.linear_residual``),
  the same action and observation as PPO's; it shows what the policy class can
  reach without gradient noise;
* ``transfer_rules``: the transfer rules' radius, need horizon, safety days,
  send share and urgency weights (``policies.learned_transfers.rules_from_vector``),
  on top of ``order_policy`` (a saved linear residual; null: the rule's orders);
* ``pair_scorer``: the learned per-pair transfer scorer
  (``policies.learned_transfers.PairScorerTransfers``), on top of ``order_policy``.

The transfer searches start from ``transfers_base`` (the tuned rules).

    python -m experiments.cmaes                       # configs/cmaes.yaml
    python -m experiments.cmaes generations=40 popsize=16 train_seeds=[1000,1001,1002,1003]
    python -m experiments.cmaes search=pair_scorer order_policy=outputs/cmaes/<run>/policy.json

Prints one JSON line: best profit per day on the training seeds, the starting
point's (the rule's) on the same seeds, generations, evaluations, seconds, and
where the result was saved (``<output_dir>/policy.json`` for orders,
``<output_dir>/transfers.json`` for transfers).
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

from experiments.replicate import load_shared_agent, sku_agent_episode
from experiments.tracking import flatten, make_tracker
from policies.learned_transfers import (
    N_RULE_PARAMS,
    PairScorerTransfers,
    rules_from_vector,
    save_planner,
)
from policies.linear_residual import LinearResidualPolicy
from sim.errors import ConfigError
from sim.progress import progress

SEARCHES = ("orders", "transfer_rules", "pair_scorer")
_WORKER: dict[str, Any] = {}


def _init_worker(
    env_kwargs: dict[str, Any], search: str, order_policy: Any, transfers_base: Any
) -> None:
    """One env per worker process, built once (its scenario and rule are reused)."""
    from envs.sku_agents import SkuAgents

    _WORKER["agents"] = SkuAgents(**instantiate(env_kwargs, _convert_="all"))
    _WORKER["search"] = search
    if order_policy is None:  # the rule's own orders (a = 0)
        _WORKER["orders"] = LinearResidualPolicy(np.zeros(LinearResidualPolicy.N_PARAMS - 1))
    elif isinstance(order_policy, str):  # a linear residual's JSON
        _WORKER["orders"] = load_shared_agent(order_policy)
    else:  # {model_path, algo_class_path, stats_path}: e.g. a residual PPO
        _WORKER["orders"] = load_shared_agent(**order_policy)
    _WORKER["transfers_base"] = instantiate(transfers_base) if transfers_base is not None else None


def start_vector(search: str, transfers_base: Any = None) -> np.ndarray:
    """Where the search starts: the rule itself (orders, transfer rules), or the scorer's
    rules-like start (``PairScorerTransfers.initial_vector``)."""
    if search == "orders":
        return np.zeros(LinearResidualPolicy.N_PARAMS)
    if search == "transfer_rules":
        return np.zeros(N_RULE_PARAMS)
    return PairScorerTransfers.initial_vector(transfers_base)


def decode(search: str, theta: np.ndarray, transfers_base: Any = None) -> Any:
    """The candidate ``theta`` stands for: a linear residual policy or a transfer planner."""
    if search == "orders":
        return LinearResidualPolicy.from_vector(theta)
    if search == "transfer_rules":
        return rules_from_vector(transfers_base, theta)
    return PairScorerTransfers.from_vector(transfers_base, theta)


def _profit_per_day(theta: np.ndarray, seed: int) -> float:
    agents, search = _WORKER["agents"], _WORKER["search"]
    if search == "orders":
        policy = decode(search, theta)
    else:
        policy = _WORKER["orders"]
        agents.set_transfer_policy(decode(search, theta, _WORKER["transfers_base"]))
    sim = sku_agent_episode(agents, policy, seed)
    k = sim.kpis().chain
    return k["profit"] / max(k["period_days"], 1e-9)


def _order_policy(entry: Any) -> Any:
    """``order_policy`` as plain data: None, a path, or {model_path, algo_class_path, ...}."""
    if entry is None or isinstance(entry, str):
        return entry
    plain = OmegaConf.to_container(entry, resolve=True) if OmegaConf.is_config(entry) else entry
    allowed = {"model_path", "algo_class_path", "stats_path"}
    if not isinstance(plain, dict) or "model_path" not in plain or set(plain) - allowed:
        raise ConfigError(
            "order_policy",
            plain,
            "null, a linear residual's policy.json, or a mapping with "
            "model_path (and algo_class_path, stats_path)",
        )
    return plain


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
    if str(cfg.search) not in SEARCHES:
        raise ConfigError("search", cfg.search, f"one of {list(SEARCHES)}")
    if str(cfg.search) != "orders" and cfg.get("transfers_base") is None:
        raise ConfigError(
            "transfers_base", None, "the transfer rules a transfer search starts from"
        )
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

    search = str(cfg.search)
    base_cfg = (
        OmegaConf.to_container(cfg.transfers_base, resolve=True) if search != "orders" else None
    )
    transfers_base = instantiate(base_cfg) if base_cfg is not None else None
    x0 = start_vector(search, transfers_base)
    order_policy = _order_policy(cfg.get("order_policy"))
    es = cma.CMAEvolutionStrategy(
        x0,
        float(cfg.sigma0),
        {"popsize": int(cfg.popsize), "seed": int(cfg.seed) + 1, "verbose": -9},
    )
    from torch.utils.tensorboard import SummaryWriter

    start = time.perf_counter()
    history = []
    board = SummaryWriter(str(out / "tb"))  # the search's curve beside PPO's (tensorboard --logdir)
    with (
        board,
        ProcessPoolExecutor(
            max_workers=int(cfg.workers),
            initializer=_init_worker,
            initargs=(env_kwargs, search, order_policy, base_cfg),
        ) as pool,
        progress(int(cfg.generations), f"CMA-ES {search}", unit="generation") as bar,
    ):
        neutral = _mean_profit(pool, [x0], seeds)[0]
        best_theta, best_value = x0, neutral
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
            # profit_per_day.best / .mean / .best_so_far of the generation, and its sigma
            metrics = {search_metric(k): v for k, v in row.items() if k != "generation"}
            for key, value in metrics.items():
                board.add_scalar(key, value, generation + 1)
            tracker.log_metrics(metrics, step=generation + 1)
            print(json.dumps(row), flush=True)
            bar.update()
    best = decode(search, best_theta, transfers_base)
    if search == "orders":
        saved = out / "policy.json"
        best.save(saved)
    else:
        saved = out / "transfers.json"
        save_planner(best, saved)
    result = {
        "search": search,
        "order_policy": order_policy,
        "best_profit_per_day_train": best_value,
        "neutral_profit_per_day_train": neutral,
        "gain_pct_train": 100.0 * (best_value - neutral) / abs(neutral),
        "generations": int(cfg.generations),
        "evaluations": len(seeds) * (1 + int(cfg.generations) * int(cfg.popsize)),
        "train_seeds": seeds,
        "train_seconds": round(time.perf_counter() - start, 1),
        "policy_path": str(saved),
        "history": history,
    }
    (out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    tracker.log_metrics(
        {"train/profit_per_day": best_value, "neutral/profit_per_day": neutral},
        step=len(history),
    )
    tracker.log_artifact(saved)
    tracker.log_artifact(out / "result.json")
    return result


def search_metric(key: str) -> str:
    """A generation's figure as a metric: ``cmaes/profit_per_day.best`` (a KPI statistic) or
    ``cmaes/sigma`` (the search's own step size)."""
    return "cmaes/sigma" if key == "sigma" else f"cmaes/profit_per_day.{key}"


@hydra.main(config_path="../configs", config_name="cmaes", version_base="1.3")
def main(cfg: DictConfig) -> None:
    result = optimise(cfg)
    print(json.dumps({k: v for k, v in result.items() if k != "history"}))


if __name__ == "__main__":
    main()
