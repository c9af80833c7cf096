"""On PerishableInventory-v0: tuning base stock by simulation finds the solver's best level,
and the exact optimum is at least as good as every heuristic on long simulations."""

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from envs.perishable.env import PerishableInventoryEnv
from policies.agent import HeuristicAgent
from policies.heuristics import (
    BaseStock,
    FacingsDays,
    Newsvendor,
    PerishableBaseStock,
    ReorderPoint,
)
from policies.optimal import best_base_stock
from policies.tuning import EVAL_SEEDS, TRAIN_SEEDS, mean_cost_in_env

CONFIG = OmegaConf.load("configs/policy/optimal.yaml")


def make_env() -> PerishableInventoryEnv:
    return PerishableInventoryEnv(
        **{k: v for k, v in OmegaConf.to_container(CONFIG).items() if k != "_target_"}
    )


@pytest.mark.slow
def test_tuned_base_stock_is_the_solvers_and_the_optimum_beats_every_heuristic():
    optimal = instantiate(CONFIG)
    level, _ = best_base_stock(optimal.problem)
    # tune the base-stock level by simulation on training seeds (paired by common random numbers)
    levels = range(level - 2, level + 3)
    costs = {
        s: mean_cost_in_env(
            make_env,
            lambda e, s=s: HeuristicAgent(BaseStock(level_units=s), e),
            TRAIN_SEEDS[:3],
            4000,
        )
        for s in levels
    }
    tuned = min(levels, key=lambda s: costs[s].mean())
    assert tuned == level

    seeds = EVAL_SEEDS[:3]
    opt = mean_cost_in_env(make_env, lambda e: optimal, seeds, 4000)
    heuristics = {
        "base_stock": BaseStock(level_units=tuned),
        "perishable_base_stock": PerishableBaseStock(level_units=tuned),
        "reorder_point": ReorderPoint(0.9),
        "facings_days": FacingsDays(safety_days=0.5),
        "newsvendor": Newsvendor(),
    }
    for name, rule in heuristics.items():
        cost = mean_cost_in_env(make_env, lambda e, r=rule: HeuristicAgent(r, e), seeds, 4000)
        diff = cost - opt  # paired: same demand per seed
        assert diff.mean() >= -0.02, (name, cost.mean(), opt.mean())
