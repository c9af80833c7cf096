"""The simulator driver shared by the retail envs and the SKU-agent vector envs.

It loads the scenario once, and per episode: builds a ``Simulation`` from a
seed, runs the warm-up under the baseline rule, then alternates
``apply(decisions)`` and ``advance()`` at the env's step hours. It never
re-implements dynamics: everything happens in ``sim/``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.retail.config import Control, RetailEnvConfig
from envs.retail.matcher import match_transfers, pair_order
from envs.retail.reward import FlowTotals, store_sku_profit
from sim.engine import Simulation
from sim.enums import DcReplenishmentBasis
from sim.errors import ConfigError
from sim.features import compute_features
from sim.rules import order_up_to
from sim.scenario import build_demand_source, load_scenario
from sim.spec import NetworkSpec
from sim.store_sku import StoreSkuView, lead_time_days_at, pack_units, view_from_snapshot
from sim.transfer import Transfer, TransferInputs

FORECAST_SMOOTHING = 0.3  # weight of yesterday's demand in the smoothed forecast


@dataclass
class StepDecisions:
    """Decoded decisions for one step (None = not decided by the agent)."""

    store_order_units: np.ndarray | None = None  # [stores, skus] for controlled stores
    dc_order_units: np.ndarray | None = None  # [dcs, skus]
    transfer_intent_units: np.ndarray | None = None  # [stores, skus] < 0 release, > 0 request


class RetailCore:
    """One scenario, one simulator per episode.

    Args:
        config: what is controlled and how the env is paced.
    """

    def __init__(self, config: RetailEnvConfig) -> None:
        self.config = config
        scenario = load_scenario(config.scenario, config.overrides)
        network = scenario.network
        if Control.DC_ORDERS in config.controls or not config.dc_autopilot:
            network = dataclasses.replace(
                network,
                dcs=tuple(
                    dataclasses.replace(
                        d,
                        replenishment_cover_days=0.0,
                        replenishment_basis=DcReplenishmentBasis.EXPECTED_DEMAND,
                    )
                    for d in network.dcs
                ),
            )
        if Control.TRANSFERS in config.controls and network.couriers is None:
            raise ConfigError(
                "controls", "TRANSFERS", f"a scenario with couriers ({config.scenario} has none)"
            )
        self.network: NetworkSpec = network
        self.demand = build_demand_source(scenario)
        n_st, n_sku = network.n_stores, network.n_skus
        if config.stores is None:
            self.controlled_stores = np.ones(n_st, dtype=bool)
        else:
            known = {s.store_id: i for i, s in enumerate(network.stores)}
            unknown = [s for s in config.stores if s not in known]
            if unknown:
                raise ConfigError(
                    "stores", unknown[0], f"store ids of {config.scenario}: {sorted(known)}"
                )
            self.controlled_stores = np.zeros(n_st, dtype=bool)
            self.controlled_stores[[known[s] for s in config.stores]] = True
        # agents: controlled stores x SKUs they may order (blocked pairs are not agents)
        self.agent_mask = self.controlled_stores[:, None] & ~network.store_sku.blocked
        self.agent_index = np.flatnonzero(self.agent_mask.ravel())
        skus = network.skus
        self.pack_units = pack_units(skus.case_pack, skus.break_pack)
        self.step_hours = tuple(config.step_hours())
        cities = np.array([s.city for s in network.stores])
        self._pairs = None
        self.sim: Simulation | None = None
        self._cities = cities
        self.forecast = np.zeros((n_st, n_sku))
        self.forecast_error = np.zeros((n_st, n_sku))  # smoothed |demand - forecast|
        self.scale = np.ones((n_st, n_sku))
        self.step_index = 0
        self.day_index = 0
        self._totals: FlowTotals | None = None
        # a replenishment rule (``decide(StoreSkuView) -> decision with .units``) that replaces
        # the order-up-to baseline (warm-up, stores not controlled); set by the SKU-agent env
        self.base_rule: Any = None
        self._lead_cache: tuple[float, np.ndarray] | None = None
        self.last_transfer_units = 0
        self.last_release_clipped_units = 0
        # a transfer planner (``plan(TransferInputs, store_ids, sku_ids)`` -> planned transfers
        # with ``to_transfer()``: the rules, a learned scorer) run at each decision step; set by
        # the SKU-agent env
        self.transfer_planner: Any = None
        self.last_planned_transfers: list[Any] = []

    # ----------------------------------------------------------------- pacing
    def reset(self, seed: int) -> None:
        self.sim = Simulation(self.network, self.demand, seed=seed)
        self._lead_cache = None
        sim = self.sim
        if self._pairs is None:
            self._pairs = pair_order(sim.road_km, self._cities, self.config.transfer_radius_km)
        expected = sim.expected_daily_units()
        self.scale = np.maximum(1.0, expected)
        self.forecast = expected.copy()
        self.forecast_error = np.sqrt(expected)  # Poisson's standard deviation to start
        for day in range(self.config.warmup_days):
            sim.run_until(24.0 * day + self.config.decision_hour)
            self._update_forecast()
            self.plan_transfers()  # the warm-up runs the planner as the rules' policy would
            sim.submit_store_orders(self._baseline_orders(np.ones_like(self.controlled_stores)))
        self.day_index = self.config.warmup_days
        self.step_index = 0
        sim.run_until(self._time_of(self.day_index, 0))
        self._update_forecast()
        self._totals = FlowTotals.read(sim)

    def plan_transfers(self) -> None:
        """Run the transfer planner now from the controlled stores' surplus and send what it
        plans (the caller runs it at the daily decision); ``last_planned_transfers`` holds it."""
        self.last_planned_transfers = []
        if self.transfer_planner is None:
            return
        net = self.network
        x = TransferInputs.for_network(self.rules_view(), net, self.sim.road_km)
        plans = self.transfer_planner.plan(
            x,
            tuple(s.store_id for s in net.stores),
            net.skus.ids,
            origin_mask=np.broadcast_to(self.controlled_stores[:, None], self.forecast.shape),
        )
        if plans:
            self.sim.submit_transfers([p.to_transfer() for p in plans])
        self.last_planned_transfers = plans

    def _time_of(self, day: int, step: int) -> float:
        return 24.0 * day + self.step_hours[step]

    @property
    def is_decision_step(self) -> bool:
        return self.step_hours[self.step_index] == self.config.decision_hour

    def apply(self, decisions: StepDecisions) -> None:
        """Submit the step's decisions, with the baseline for what the agent does not decide."""
        sim = self.sim
        cfg = self.config
        if self.is_decision_step:
            agent_orders = Control.STORE_ORDERS in cfg.controls
            baseline_stores = (
                ~self.controlled_stores if agent_orders else np.ones_like(self.controlled_stores)
            )
            orders = self._baseline_orders(baseline_stores)
            if agent_orders and decisions.store_order_units is not None:
                orders = np.where(
                    self.controlled_stores[:, None], decisions.store_order_units, orders
                )
            sim.submit_store_orders(orders)
            if Control.DC_ORDERS in cfg.controls and decisions.dc_order_units is not None:
                sim.submit_dc_orders(decisions.dc_order_units)
        self.last_transfer_units = 0
        self.last_release_clipped_units = 0
        if Control.TRANSFERS in cfg.controls and decisions.transfer_intent_units is not None:
            intent = np.where(self.controlled_stores[:, None], decisions.transfer_intent_units, 0)
            on_hand = sim.snapshot().store_on_hand
            wanted_release = np.maximum(-intent, 0)
            release = np.minimum(wanted_release, on_hand)  # cannot send what is not there
            self.last_release_clipped_units = int((wanted_release - release).sum())
            request = np.maximum(intent, 0)
            moves = match_transfers(release, request, self._pairs)
            if moves:
                sim.submit_transfers([Transfer(o, d, units) for (o, d), units in moves.items()])
                self.last_transfer_units = int(sum(int(u.sum()) for u in moves.values()))

    def advance(self) -> np.ndarray:
        """Run to the next step; returns [stores, skus] profit contribution of the step."""
        sim = self.sim
        self.step_index += 1
        if self.step_index == len(self.step_hours):
            self.step_index = 0
            self.day_index += 1
        sim.run_until(self._time_of(self.day_index, self.step_index))
        if self.is_decision_step:
            self._update_forecast()
        after = FlowTotals.read(sim)
        reward = store_sku_profit(
            sim, self._totals, after, self.config.stockout_penalty_per_unit, self.agent_mask
        )
        self._totals = after
        return reward

    # ---------------------------------------------------------------- reading
    def _update_forecast(self) -> None:
        if self.sim.day == 0:
            return
        demand = self.sim.snapshot().demand_yesterday
        a = FORECAST_SMOOTHING
        self.forecast_error = a * np.abs(demand - self.forecast) + (1.0 - a) * self.forecast_error
        self.forecast = a * demand + (1.0 - a) * self.forecast

    def rules_view(self, forecast: np.ndarray | None = None) -> StoreSkuView:
        """The rules' store-SKU view now, with the env's forecast (or ``forecast``)."""
        sim = self.sim
        return view_from_snapshot(
            sim.snapshot(),
            self.network,
            self.forecast if forecast is None else forecast,
            lead_time_days=self._lead_time_days(),
        )

    def rule_orders(self, forecast: np.ndarray | None = None) -> np.ndarray:
        """[stores, skus] the base rule's orders now (on ``forecast`` if given)."""
        units = self.base_rule.decide(self.rules_view(forecast)).units
        return np.asarray(units, dtype=np.int64).reshape(self.network.n_stores, -1)

    def _baseline_orders(self, stores: np.ndarray) -> np.ndarray:
        if self.base_rule is not None:
            return np.where(stores[:, None], self.rule_orders(), 0)
        snap = self.sim.snapshot()
        orders = order_up_to(
            snap.store_on_hand,
            snap.store_on_order,
            self.forecast,
            self.config.baseline_cover_days,
            1.0,
            self.network.skus.shelf_life_days,
            self.network.store_sku.blocked,
        )
        return np.where(stores[:, None], orders, 0)

    def features(self) -> np.ndarray:
        """[stores, skus, N_FEATURES] float32 for every store-SKU."""
        net = self.network
        return compute_features(self.view()).reshape(net.n_stores, net.n_skus, -1)

    def view(self) -> StoreSkuView:
        """The features' store-SKU view of every store-SKU now (store-major), with the env's
        forecast and scale."""
        sim = self.sim
        return view_from_snapshot(
            sim.snapshot(),
            self.network,
            self.forecast,
            lead_time_days=self._lead_time_days(),
            scale=self.scale,
            forecast_error=self.forecast_error,
            rules=False,
        )

    def _lead_time_days(self) -> np.ndarray:
        """[stores] days until an order placed now is on the shelf (cached per step)."""
        key = self.sim.now_hours
        if self._lead_cache is None or self._lead_cache[0] != key:
            sim = self.sim
            self._lead_cache = (key, lead_time_days_at(self.network, key, sim.weekday))
        return self._lead_cache[1]
