"""``ShelfLife/PerishableInventory-v0``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.common.actions import validate_discrete
from envs.common.render import table
from envs.perishable.dynamics import DemandBlocks, PeriodCosts, PerishableBatch
from envs.perishable.generator import DECISION_HOUR, build_demand, build_network
from sim.demand.stationary import StationaryDemandSpec
from sim.engine import Simulation
from sim.enums import IssuingRule
from sim.errors import ConfigError
from sim.validation import integer_value

MAX_LEAD_TIME = 7  # the snapshot's pipeline horizon
COST_TERMS = ("order_cost", "lost_sales_cost", "waste_cost", "holding_cost")
ENGINES = ("arrays", "simpy")


class PerishableInventoryEnv(gym.Env[np.ndarray, np.int64]):
    """## Description

    One SKU, one store, one supplier, daily periods: the classic perishable
    inventory problem with lost sales (Nahmias; Karaesmen et al.), small enough
    for exact dynamic programming (``policies/optimal.py``) so that RL can be
    measured against the true optimum. It runs on the ShelfLife simulator
    (``sim/``) with a make-to-order vendor; this class only encodes and decodes.

    The period's order of events, exactly:

    1. observe the state (stock by remaining life, orders in the pipeline);
    2. place the order ``a_t`` (pay ``order_cost`` per unit);
    3. the order placed ``L`` periods earlier arrives with full life ``m``
       (with ``L = 1`` an order arrives at the start of the next period, before
       that period's demand; with ``L = 0`` in the same period);
    4. demand is drawn and served from stock on hand by the issuing rule; the
       unmet part is lost (pay ``lost_sales_cost`` per unit);
    5. units that reach the end of their life unsold are wasted (pay
       ``waste_cost`` per unit): a unit arriving in period ``s`` can be sold in
       periods ``s .. s+m-1``;
    6. what remains ages one day and pays ``holding_cost`` per unit.

    ## Action Space

    ``Discrete(max_order + 1)``: the units to order now, 0..``max_order``. Any
    other value (wrong shape, NaN, negative, fractional, out of range) raises
    ``sim.errors.ActionError`` and leaves the state untouched.

    ## Observation Space

    ``Box(0, high, (n,), float32)`` with ``n = (m − 1) + L`` for a perishable
    item, ``1 + L`` for a non-perishable one:

    | index | meaning | min | max |
    |---|---|---|---|
    | ``r − 1`` for r = 1..m−1 | units on hand with remaining life ``r`` periods (arrived ``m − r`` periods ago) | 0 | ``max_order`` |
    | 0 (non-perishable) | units on hand | 0 | ``max_stock`` |
    | ``k + j`` for j = 0..L−1 | units arriving at the start of period ``t + j`` (j = 0: right after this decision) | 0 | ``max_order`` |

    where ``k`` is the number of on-hand entries.

    ## Rewards

    Minus the period's total cost: ``order_cost · a_t + lost_sales_cost · lost +
    waste_cost · wasted + holding_cost · carried``. Each term is in ``info``.

    ## Starting State

    Empty: nothing on hand, nothing in the pipeline.

    ## Episode End

    Never terminates; truncated by the registered time limit (365 periods).

    ## Arguments

    - ``life_days``: useful life ``m`` in days (1..30), or ``0`` for a
      non-perishable lost-sales system (the project's one convention:
      ``shelf_life_days == 0`` does not perish).
    - ``lead_time``: ``L`` in periods (0..7).
    - ``issuing``: ``"fifo"`` (oldest first) or ``"lifo"`` (freshest first).
    - ``demand``: a ``StationaryDemandSpec`` (Poisson(mean), or Gamma(mean, cv)
      rounded and clipped to [0, max_demand]); or a mapping with its fields.
    - ``max_order``: ``Q``.
    - ``order_cost``, ``lost_sales_cost``, ``waste_cost``, ``holding_cost``: ``c, p, w, h``.
    - ``max_stock``: non-perishable only: an order that would lift the
      inventory position (on hand + pipeline) above it is reduced to fit
      (reported as ``info["order_reduced_units"]``), keeping the observation
      bounded. Defaults to ``20 · max_order · (L + 1)``, far above any
      sensible policy.
    - ``render_mode``: ``None`` or ``"ansi"``.

    ## KPIs

    ``info`` holds the step's ``demand_units``, ``sold_units``, ``lost_units``,
    ``wasted_units``, ``on_hand_units``, ``fill_rate`` (sold / demand, 1 when no
    demand), ``stockout`` (1 if demand was lost), and the cost terms.

    ## Engines

    ``engine="arrays"`` (the default) runs the period as numpy arithmetic
    (``envs.perishable.dynamics``), about 12 times faster (``scripts/bench_envs.py``); ``engine="simpy"``
    runs it on the ShelfLife simulator. Both draw the same demand and give the
    same observations, rewards and ``info`` to the bit
    (``tests/envs/test_perishable_fast.py``); the simulator path is the reference.

    ## Usage

    From a fresh interpreter (Gymnasium imports the ``envs`` package, which
    registers the ids)::

        import gymnasium
        env = gymnasium.make("envs:ShelfLife/PerishableInventory-v0", life_days=3, lead_time=2)
        obs, info = env.reset(seed=0)

    ## Version History

    - v0: first version, on the ShelfLife simulator; the array engine added
      later as the default with identical results.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012 - Gymnasium's convention

    def __init__(
        self,
        life_days: int = 2,
        lead_time: int = 1,
        issuing: IssuingRule | str = IssuingRule.FIFO,
        demand: StationaryDemandSpec | dict[str, Any] | None = None,
        max_order: int = 10,
        order_cost: float = 3.0,
        lost_sales_cost: float = 5.0,
        waste_cost: float = 7.0,
        holding_cost: float = 1.0,
        max_stock: int | None = None,
        render_mode: str | None = None,
        engine: str = "arrays",
    ) -> None:
        self.life_days = _check_int("life_days", life_days, 0, 30)
        self.lead_time = _check_int("lead_time", lead_time, 0, MAX_LEAD_TIME)
        self.issuing = _parse_issuing(issuing)
        self.demand_spec = StationaryDemandSpec.from_config(demand)
        self.max_order = _check_int("max_order", max_order, 1, 10_000)
        self.costs = {
            name: _check_cost(name, value)
            for name, value in (
                ("order_cost", order_cost),
                ("lost_sales_cost", lost_sales_cost),
                ("waste_cost", waste_cost),
                ("holding_cost", holding_cost),
            )
        }
        if self.life_days == 1 and self.lead_time == 0:
            raise ConfigError("life_days/lead_time", (1, 0), "not both: the state would be empty")
        default_cap = 20 * self.max_order * (self.lead_time + 1)
        self.max_stock = _check_int(
            "max_stock", max_stock if max_stock is not None else default_cap, 1, 10**7
        )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError("render_mode", render_mode, "None or 'ansi'")
        self.render_mode = render_mode
        if engine not in ENGINES:
            raise ConfigError("engine", engine, " or ".join(ENGINES))
        self.engine = engine

        self._network = build_network(
            self.life_days, self.lead_time, self.issuing, self.costs["holding_cost"]
        )
        self._demand = build_demand(self.demand_spec)
        self.n_stock = (self.life_days - 1) if self.life_days else 1
        high = np.concatenate(
            [
                np.full(self.n_stock, self.max_order if self.life_days else self.max_stock),
                np.full(self.lead_time, self.max_order),
            ]
        ).astype(np.float32)
        self.observation_space = spaces.Box(0.0, high, shape=high.shape, dtype=np.float32)
        self.action_space = spaces.Discrete(self.max_order + 1)
        self._sim: Simulation | None = None
        self._last_info: dict[str, Any] = {}
        self._batch = PerishableBatch(
            self.life_days, self.lead_time, self.issuing, PeriodCosts(**self.costs),
            self.max_stock, replications=1,
        )  # fmt: skip
        self._blocks = DemandBlocks(self.demand_spec, replications=1)
        self._period: int | None = None  # the array engine's period; None before reset

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        sim_seed = int(self.np_random.integers(0, 2**62))
        self._last_info = {}
        if self.engine == "arrays":
            self._batch.clear()
            self._blocks.restart(0, sim_seed)
            self._period = 0
            return self._batch.observation()[0], {"sim_seed": sim_seed}
        self._sim = Simulation(self._network, self._demand, seed=sim_seed)
        self._sim.run_until(DECISION_HOUR)
        return self._observe(), {"sim_seed": sim_seed}

    def step(self, action: object):
        if self._sim is None and self._period is None:
            raise RuntimeError("call reset() before step()")
        units = validate_discrete(action, self.action_space)
        if self.engine == "arrays":
            return self._step_arrays(units)
        sim = self._sim
        obs_before = self._observe()
        reduced = 0
        if not self.life_days:
            room = self.max_stock - int(obs_before.sum())
            reduced = max(0, units - max(room, 0))
            units -= reduced
        before = self._totals()
        sim.submit_store_orders(np.array([[units]]))
        sim.run_until(sim.now_hours + 24.0)
        after = self._totals()
        delta = {k: after[k] - before[k] for k in after}
        costs = {
            "order_cost": self.costs["order_cost"] * units,
            "lost_sales_cost": self.costs["lost_sales_cost"] * delta["lost_units"],
            "waste_cost": self.costs["waste_cost"] * delta["wasted_units"],
            "holding_cost": self.costs["holding_cost"] * delta["carried_units"],
        }
        cost = float(sum(costs.values()))
        obs = self._observe()
        info = {
            "order_units": units,
            "order_reduced_units": reduced,
            "demand_units": int(delta["demand_units"]),
            "sold_units": int(delta["sold_units"]),
            "lost_units": int(delta["lost_units"]),
            "wasted_units": int(delta["wasted_units"]),
            "on_hand_units": int(sim.snapshot().store_on_hand.sum()),
            "fill_rate": float(delta["sold_units"] / delta["demand_units"])
            if delta["demand_units"]
            else 1.0,
            "stockout": int(delta["lost_units"] > 0),
            **{k: float(v) for k, v in costs.items()},
            "cost": cost,
        }
        self._last_info = info
        return obs, -cost, False, False, info

    def _step_arrays(self, units: int):
        out = self._batch.step(np.array([units], dtype=np.int64), self._blocks.next_day())
        self._period += 1
        info = out.info(row=0)  # Python numbers, as the simulator path gives
        self._last_info = info
        return self._batch.observation()[0], -info["cost"], False, False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi" or (self._sim is None and self._period is None):
            return None
        obs = self._batch.observation()[0] if self.engine == "arrays" else self._observe()
        rows = [
            (f"life {r}" if self.life_days else "on hand", int(obs[i]))
            for i, r in enumerate(range(1, self.n_stock + 1) if self.life_days else [0])
        ]
        rows += [(f"arrives t+{j}", int(obs[self.n_stock + j])) for j in range(self.lead_time)]
        period = self._period if self.engine == "arrays" else self._sim.day
        text = table(("state", "units"), rows, title=f"period {period}")
        if self._last_info:
            text += table(
                ("last step", "value"),
                [
                    (k, self._last_info[k])
                    for k in ("order_units", "demand_units", "lost_units", "wasted_units", "cost")
                ],
            )
        return text

    # ------------------------------------------------------------ encoding
    def _observe(self) -> np.ndarray:
        snap = self._sim.snapshot()
        by_age = snap.store_on_hand_by_age[0, 0]
        if self.life_days:
            m = self.life_days
            stock = by_age[1:m][::-1]  # ages m-1 .. 1 = remaining life 1 .. m-1
        else:
            stock = by_age[:1]
        pipeline = snap.store_pipeline_by_day[0, 0, : self.lead_time]
        return np.concatenate([stock, pipeline]).astype(np.float32)

    def _totals(self) -> dict[str, float]:
        c = self._sim.counters_view().store
        return {
            "demand_units": float(c.demand_units.sum()),
            "sold_units": float(c.sold_units.sum()),
            "lost_units": float(c.lost_units.sum()),
            "wasted_units": float(c.wasted_units.sum()),
            "carried_units": float(c.inventory_unit_days.sum()),
        }


def _check_int(name: str, value: object, low: int, high: int) -> int:
    """The project's integer rule (``sim.validation``: 3 and 3.0 yes; 3.5, true, None no)."""
    return integer_value(value, name, low, high)


def _check_cost(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.number)
        or not np.isfinite(value)
        or value < 0
    ):
        raise ConfigError(name, value, "a finite number >= 0")
    return float(value)


def _parse_issuing(value: IssuingRule | str) -> IssuingRule:
    try:
        return IssuingRule.parse(value, (IssuingRule.FIFO, IssuingRule.LIFO))
    except ValueError:
        raise ConfigError("issuing", value, "fifo or lifo") from None
