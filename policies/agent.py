"""One interface for every policy: ``reset(seed)``, ``predict(obs)``, ``explain()``.

``predict`` follows stable-baselines3 (``predict(obs, state=None,
episode_start=None, deterministic=True) -> (action, state)``), so a trained
SB3 model, the exact optimum and a heuristic are evaluated by the same loop.
Heuristics decide on a ``StoreSkuView``; ``HeuristicAgent`` builds it
from the observation (single-SKU env) or from the simulator snapshot behind a
retail env, and maps the orders to the env's action.
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from envs.perishable.env import PerishableInventoryEnv
from envs.retail.env import RetailEnv
from policies.runner import ReplenishmentRule
from policies.sim_view import view_from_sim
from policies.view import OrderDecision
from sim.store_sku import StoreSkuView


class Agent(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[Any, Any]: ...

    def explain(self) -> list[str]: ...


def perishable_view(env: PerishableInventoryEnv, obs: np.ndarray) -> StoreSkuView:
    """The single-SKU env's observation as a view (one row)."""
    k = env.n_stock
    stock = np.asarray(obs[:k], dtype=np.float64)
    pipeline = np.asarray(obs[k:], dtype=np.float64)
    if env.life_days:
        by_life = stock[None, :]  # index r-1 = remaining life r
        life = env.life_days
    else:
        by_life = stock[None, :]
        life = 0
    spec = env.demand_spec
    pmf = spec.daily_pmf()
    support = np.arange(len(pmf))
    mean = float(pmf @ support)
    sd = float(np.sqrt(pmf @ (support - mean) ** 2))
    one = lambda v: np.array([float(v)])  # noqa: E731
    return StoreSkuView(
        on_hand=one(stock.sum()),
        on_order=one(pipeline.sum()),
        on_hand_by_life=by_life,
        forecast_daily=one(mean),
        forecast_sd_daily=one(sd),
        lead_time_days=one(env.lead_time),
        review_days=one(1.0),
        shelf_life_days=np.array([life]),
        pack_units=np.array([1]),
        facings_units=one(0.0),
        blocked=np.array([False]),
        unit_cost=one(env.costs["order_cost"]),
        price=one(env.costs["order_cost"] + env.costs["lost_sales_cost"]),
        holding_cost_per_day=one(env.costs["holding_cost"]),
        waste_cost_per_unit=one(env.costs["waste_cost"]),
    )


class HeuristicAgent:
    """A replenishment heuristic playing a ShelfLife env.

    Args:
        rule: anything with ``decide(view) -> OrderDecision``.
        env: the env it plays (wrappers are unwrapped); the agent reads the
            simulator behind a retail env, so it must be the same instance.
    """

    def __init__(self, rule: ReplenishmentRule, env: gym.Env) -> None:
        self.rule = rule
        self.env = env.unwrapped
        if not isinstance(self.env, PerishableInventoryEnv | RetailEnv):
            raise TypeError(f"HeuristicAgent plays ShelfLife envs; got {type(self.env).__name__}")
        self._last: tuple[StoreSkuView, OrderDecision] | None = None

    def reset(self, seed: int | None = None) -> None:
        self._last = None

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ):
        env = self.env
        if isinstance(env, PerishableInventoryEnv):
            view = perishable_view(env, observation)
            decision = self.rule.decide(view)
            action = np.int64(min(int(decision.units[0]), env.max_order))
        else:
            action, view, decision = self._retail_action(env)
        self._last = (view, decision)
        return action, state

    def _retail_action(self, env: RetailEnv):
        core = env.core
        view = view_from_sim(core.sim, core.forecast)
        decision = self.rule.decide(view)
        agents = core.agent_index
        packs = decision.units[agents] // np.maximum(
            core.pack_units[agents % core.network.n_skus], 1
        )
        packs = np.minimum(
            packs, env.config.max_order_packs
        )  # the env's action range (documented cap)
        parts = []
        for name, size, _ in env.action_layout:
            if name == "store_orders":
                parts.append(packs)
            elif name == "transfers":
                parts.append(np.full(size, env.config.max_transfer_units))  # intent 0: no transfer
            else:
                parts.append(np.zeros(size, dtype=np.int64))
        return np.concatenate(parts).astype(np.int64), view, decision

    def explain(self) -> list[str]:
        if self._last is None:
            return []
        view, decision = self._last
        rows = np.flatnonzero(decision.units) if view.n > 20 else None
        return decision.explain(view, rows)
