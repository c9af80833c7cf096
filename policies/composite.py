"""Policies that act on the simulator beyond store orders.

``TransferRulesPolicy``: replenishment by a configurable baseline plus the
rule-based transfers of ``policies.transfers``, within the fairness guard of
``policies.fairness`` (neutral by default).

``TieredAlertsPolicy``: replenishment plus the tiered alerts of
``policies.alerts``, each tier with its response: yellow → markdown (price ×
``markdown_price``), red → clearance (price × ``clearance_price``); items
under clearance are not reordered while they sell down; orange →
transfer (only surplus of orange store-SKUs is offered); blue → expedited
replenishment: the order is topped up to cover the lead time's demand if the
baseline order leaves a shortfall (the simulator has no faster channel, so
"expedite" means "do not wait for the next review"). Markdowns apply from the
next day's demand (the simulator's price rule).

Both follow the runner's protocol: ``observe(sim, forecast)`` once a day
before ordering, then ``decide(view)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policies.alerts import AlertInputs, Alerts, AlertThresholds, Tier, evaluate_alerts
from policies.degradation import Degradation, Mode, simple_matcher
from policies.fairness import FairnessGuard, OutflowHistory
from policies.history import DailyHistory
from policies.plan_review import (
    Decision,
    ManagerReview,
    ReviewedAlert,
    chosen_transfers,
    plan_options,
)
from policies.predictive import PredictiveRecord, PredictiveTransfers
from policies.runner import ReplenishmentRule
from policies.sim_view import store_lead_time_days, transfer_inputs_from_sim
from policies.transfers import (
    PlannedTransfer,
    TransferRules,
    oldest_life_left,
    transfer_benefit,
)
from policies.view import OrderDecision
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.store_sku import (
    StoreSkuView,
    expected_unsold,
    on_hand_by_remaining_life,
    round_to_packs,
)


def _plan_and_send(
    sim: Simulation,
    rules: TransferRules,
    forecast: np.ndarray,
    origin_mask: np.ndarray | None = None,
    fairness: FairnessGuard | None = None,
    outflow: OutflowHistory | None = None,
    review: ManagerReview | None = None,
    *,
    high_confidence_life_days: int | None = None,
    execute: bool = True,
) -> tuple[list[PlannedTransfer], tuple[str, ...], list[ReviewedAlert]]:
    """Plan today's transfers (with ``review``: options per alert, decided by the
    manager), clip them by ``fairness`` (its weekly cap reading and ``outflow`` recording
    what is sent), send them. Returns (what was sent, the guard's notes on pairs it
    dropped, the reviewed alerts).

    Args:
        high_confidence_life_days: offer only surplus whose oldest units expire within
            this many days (degradation level 1).
        execute: False plans a suggestion list and sends nothing (degradation level 3).
    """
    if sim.spec.couriers is None:
        return [], (), []
    x = transfer_inputs_from_sim(sim, forecast)
    if high_confidence_life_days is not None:
        sure = oldest_life_left(x) <= high_confidence_life_days
        origin_mask = sure if origin_mask is None else origin_mask & sure
    store_ids = tuple(s.store_id for s in sim.spec.stores)
    # a neutral guard is not run at all, so the plans are the planner's, bit for bit
    guard = fairness if fairness is not None and not fairness.is_neutral else None
    reviewed: list[ReviewedAlert] = []
    if review is None:
        plans = rules.plan(
            x,
            store_ids,
            sim.spec.skus.ids,
            origin_mask=origin_mask,
            dest_bonus=None if guard is None else guard.destination_bonus(x),
        )
    else:
        alerts = plan_options(rules, x, store_ids, sim.spec.skus.ids, review.options_per_alert)
        reviewed = review.decide(alerts)
        transfers, reasons = chosen_transfers(reviewed, rules.need(x))
        plans = [
            PlannedTransfer(
                t.origin,
                t.destination,
                t.units,
                transfer_benefit(x, t.origin, t.destination, t.units),
                tuple(reasons[t.origin, t.destination]),
            )
            for t in transfers
        ]
        plans = [p for p in plans if p.benefit > 0]  # the trip must pay, as the rules plan
    notes: tuple[str, ...] = ()
    n_st = sim.spec.n_stores
    if guard is not None:
        recent = outflow.net_outflow(sim.day, n_st) if outflow is not None else None
        guarded = guard.apply(plans, x, recent, store_ids, sim.spec.skus.ids)
        plans, notes = guarded.transfers, guarded.notes
    if not execute:
        return plans, notes, reviewed  # a list for people: nothing leaves a store
    if plans:
        sim.submit_transfers([p.to_transfer() for p in plans])
    if outflow is not None:
        outflow.record(sim.day, plans, n_st)
    return plans, notes, reviewed


@dataclass
class TransferRulesPolicy:
    """Args:
    replenishment: the baseline that orders (any heuristic).
    transfers: the transfer planner (the rules or a learned one).
    fairness: the guard applied to each day's plan (neutral by default); the policy
        keeps the stores' net outflow of the last ``policies.fairness.WEEK_DAYS`` days it
        reads, as sent by this policy since its last ``reset``.
    review: the store manager's decision on each alert's options
        (``policies.plan_review``); None: the planner's transfers run as planned.
    degradation: daily faults and the modes they force (``policies.degradation``);
        None: nothing fails.
    predictive: transfers ahead of a surge the calendar and weather foretell
        (``policies.predictive``), planned after the reactive ones and sent with them;
        off in any degradation mode (level 1 turns them off first).
    """

    replenishment: ReplenishmentRule
    transfers: TransferRules = field(default_factory=TransferRules)
    fairness: FairnessGuard = field(default_factory=FairnessGuard)
    review: ManagerReview | None = None
    degradation: Degradation | None = None
    predictive: PredictiveTransfers | None = None

    def __post_init__(self) -> None:
        if self.predictive is not None and not isinstance(self.predictive, PredictiveTransfers):
            raise ConfigError(
                "TransferRulesPolicy.predictive", type(self.predictive).__name__,
                "null or a PredictiveTransfers (_target_: policies.predictive.PredictiveTransfers)",
            )  # fmt: skip
        if self.degradation is not None and not isinstance(self.degradation, Degradation):
            raise ConfigError(
                "TransferRulesPolicy.degradation", type(self.degradation).__name__,
                "null or a Degradation (_target_: policies.degradation.Degradation)",
            )  # fmt: skip
        if self.review is not None and not isinstance(self.review, ManagerReview):
            raise ConfigError(
                "TransferRulesPolicy.review", type(self.review).__name__,
                "null or a ManagerReview (_target_: policies.plan_review.ManagerReview)",
            )  # fmt: skip
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.last_transfers: list[PlannedTransfer] = []
        self.last_held: tuple[str, ...] = ()  # pairs the guard dropped whole, today
        self.last_reviewed: list[ReviewedAlert] = []
        self.outflow = OutflowHistory()
        if self.review is not None:
            self.review.reset(seed)
        if self.degradation is not None:
            self.degradation.reset(seed)
        self.mode = Mode.NORMAL
        self.faults: tuple[str, ...] = ()
        self.suggested: list[PlannedTransfer] = []  # level 3: listed, not sent
        self.reset_period()

    def reset_period(self) -> None:
        """Start counting the review's decisions and the modes afresh (the KPI period)."""
        self.decisions = dict.fromkeys((d.value for d in Decision), 0)
        self.mode_days = dict.fromkeys(Mode, 0)
        self.mode_units = dict.fromkeys(Mode, 0)
        # the counters restart with the period: lines planned before it are not judged
        horizon = self.predictive.horizon_days if self.predictive is not None else 1
        self.predictive_record = PredictiveRecord(horizon)
        self.reactive_units = 0

    def observe(self, sim: Simulation, forecast: np.ndarray) -> None:
        rules, sure_within = self.transfers, None
        if self.degradation is not None:
            self.mode, self.faults = self.degradation.draw_day()
            if self.mode >= Mode.SIMPLE_MATCHER:
                rules = simple_matcher(self.transfers)
            if self.mode == Mode.HIGH_CONFIDENCE_ONLY:
                sure_within = self.degradation.high_confidence_life_days
        execute = self.mode != Mode.SUGGEST_ONLY
        plans, self.last_held, self.last_reviewed = _plan_and_send(
            sim, rules, forecast, fairness=self.fairness, outflow=self.outflow,
            review=self.review, high_confidence_life_days=sure_within, execute=execute,
        )  # fmt: skip
        self.last_transfers = plans if execute else []
        self.suggested = [] if execute else plans
        if execute:
            self.reactive_units += int(sum(int(p.units.sum()) for p in plans))
        if self.predictive is not None and sim.spec.couriers is not None:
            sold = sim.counters_view().store.sold_units
            self.predictive_record.settle(sim.day, sold)
            if self.mode == Mode.NORMAL:
                self.last_transfers = self.last_transfers + self._predict(sim, forecast, plans)
        for item in self.last_reviewed:
            self.decisions[item.decision.value] += 1
        self.mode_days[self.mode] += 1
        self.mode_units[self.mode] += int(sum(int(p.units.sum()) for p in plans))

    def _predict(
        self, sim: Simulation, forecast: np.ndarray, reactive: list[PlannedTransfer]
    ) -> list[PlannedTransfer]:
        """Plan and send today's predictive transfers, reserving what leaves a store
        reactively today; record their lines to be judged after the horizon."""
        assert self.predictive is not None
        x = transfer_inputs_from_sim(sim, forecast)
        reserved = np.zeros((sim.spec.n_stores, sim.spec.n_skus))
        for p in reactive:
            reserved[p.origin] += p.units
        ahead = sim.expected_units_ahead(self.predictive.horizon_days)
        ids = tuple(s.store_id for s in sim.spec.stores)
        plans = self.predictive.plan(x, ahead, ids, sim.spec.skus.ids, reserved)
        if plans:
            sim.submit_transfers([p.to_transfer() for p in plans])
        held = x.on_hand_by_life.sum(axis=2) + x.arriving_units
        self.predictive_record.add(sim.day, plans, held, sim.counters_view().store.sold_units)
        return plans

    def period_counts(self) -> dict[str, int]:
        """Since ``reset_period``: the review's decisions (transfer alerts shown, accepted,
        vetoed, run automatically) and, with degradation, the days in each mode and the
        units planned in each (sent, or only listed in level 3)."""
        out: dict[str, int] = {}
        if self.review is not None:
            out["transfer_alerts"] = sum(self.decisions.values())
            out |= {f"transfer_alerts_{k}": v for k, v in self.decisions.items()}
        if self.degradation is not None:
            for mode in Mode:
                name = mode.name.lower()
                out[f"degradation_days_{name}"] = self.mode_days[mode]
                out[f"degradation_units_{name}"] = self.mode_units[mode]
        if self.predictive is not None:
            record = self.predictive_record
            out["predictive_lines"] = record.lines
            out["predictive_lines_sold"] = record.lines_sold
            out["predictive_units"] = record.units
            out["reactive_units"] = self.reactive_units
        return out

    def decide(self, view: StoreSkuView) -> OrderDecision:
        return self.replenishment.decide(view)

    def explain_transfers(self) -> list[str]:
        sent = [reason for plan in self.last_transfers for reason in plan.reasons]
        return sent + list(self.last_held)


@dataclass
class TieredAlertsPolicy:
    """Args:
    replenishment: the baseline that orders.
    thresholds: alert thresholds per category and the tier → response map.
    transfers: rules for the orange tier.
    markdown_price, clearance_price: price multipliers for yellow and red.
    """

    replenishment: ReplenishmentRule
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    transfers: TransferRules = field(default_factory=TransferRules)
    markdown_price: float = 0.8
    clearance_price: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.thresholds, AlertThresholds):
            raise ConfigError(
                "TieredAlertsPolicy.thresholds", type(self.thresholds).__name__,
                "AlertThresholds (a config with _target_: policies.alerts.AlertThresholds)",
            )  # fmt: skip
        if not 0 < self.clearance_price <= self.markdown_price <= 1:
            raise ConfigError(
                "TieredAlertsPolicy.prices",
                (self.markdown_price, self.clearance_price),
                "0 < clearance_price <= markdown_price <= 1",
            )
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.history = DailyHistory()
        self.alerts: Alerts | None = None
        self.last_transfers: list[PlannedTransfer] = []

    def observe(self, sim: Simulation, forecast: np.ndarray) -> None:
        self.history.record(sim, forecast)
        alerts = evaluate_alerts(self.alert_inputs(sim, forecast), self.thresholds)
        self.alerts = alerts
        shape = (sim.spec.n_stores, sim.spec.n_skus)
        tier = alerts.tier.reshape(shape)
        price = np.ones(shape)
        price[tier == Tier.YELLOW] = self.markdown_price
        price[tier == Tier.RED] = self.clearance_price
        sim.set_price_multiplier(price)
        self.last_transfers, _, _ = _plan_and_send(
            sim, self.transfers, forecast, origin_mask=tier >= Tier.ORANGE
        )

    def decide(self, view: StoreSkuView) -> OrderDecision:
        base = self.replenishment.decide(view)
        if self.alerts is None:
            return base
        tier = self.alerts.tier
        clearing = tier == Tier.RED
        units = np.where(clearing, 0, base.units)
        blue = (tier == Tier.BLUE) & ~view.blocked
        shortfall = view.forecast_daily * view.lead_time_days - view.position - units
        extra = round_to_packs(np.where(blue, np.maximum(shortfall, 0.0), 0.0), view.pack_units)
        terms = {**base.terms, "expedite": extra, "clearing": clearing.astype(np.int64)}
        template = base.template + " (+ expedite {expedite}; 0 if clearing)"
        return OrderDecision(units + extra, terms, template)

    def alert_inputs(self, sim: Simulation, forecast: np.ndarray) -> AlertInputs:
        spec = sim.spec
        snap = sim.snapshot()
        n_st, n_sku = spec.n_stores, spec.n_skus
        n = n_st * n_sku
        stock = snap.store_on_hand_by_age.astype(np.float64)
        ages = np.arange(stock.shape[2])
        on_hand = stock.sum(axis=2)
        avg_age = np.where(on_hand > 0, (stock * ages).sum(axis=2) / np.maximum(on_hand, 1), 0.0)
        oldest = np.where(
            on_hand > 0, stock.shape[2] - 1 - np.argmax((stock > 0)[:, :, ::-1], axis=2), 0
        )
        by_life = on_hand_by_remaining_life(
            snap.store_on_hand_by_age, spec.skus.shelf_life_days
        ).astype(float)
        perishable = (spec.skus.shelf_life_days > 0)[None, :]
        doomed = np.where(perishable, np.floor(expected_unsold(by_life, forecast)), 0.0)
        doomed_1d = np.where(
            perishable, np.floor(np.maximum(by_life[:, :, 0] - forecast, 0.0)), 0.0
        )
        lead = store_lead_time_days(sim)[:, None]
        cover = on_hand + snap.store_pipeline_by_day[:, :, :2].sum(axis=2)
        h = self.history
        flat = lambda a: a.reshape(a.shape[0], n) if a.size else np.zeros((0, n))  # noqa: E731
        launch = h.first_stocked_day if h.first_stocked_day is not None else np.zeros((n_st, n_sku))
        abc = self.thresholds.abc
        turnover: dict[str, np.ndarray] = {}
        if abc is not None:  # the turnover standard of each store-SKU's class
            price = np.broadcast_to(spec.skus.price[None, :], (n_st, n_sku)).reshape(n)
            store = np.repeat(np.arange(n_st), n_sku)
            turnover = {
                "on_hand_units": on_hand.reshape(n),
                "forecast_daily": forecast.reshape(n),
                "abc_class": abc.classes(forecast.reshape(n), price, store),
            }
        return AlertInputs(
            category=np.broadcast_to(spec.skus.category[None, :], (n_st, n_sku)).reshape(n),
            avg_age_days=avg_age.reshape(n),
            oldest_age_days=oldest.reshape(n).astype(float),
            daily_sold=flat(h.array("sold")),
            daily_received=flat(h.array("received")),
            daily_opening=flat(h.array("opening")),
            daily_forecast=flat(h.array("forecast")),
            weekly_sales=flat(h.weekly_sales()),
            days_since_launch=np.where(launch >= 0, sim.day - launch, 0).reshape(n),
            doomed_units=doomed.reshape(n),
            doomed_within_1d=doomed_1d.reshape(n),
            cover_units=cover.reshape(n),
            lead_time_demand=(forecast * lead).reshape(n),
            **turnover,
        )

    def explain_alerts(self, sim: Simulation, limit: int = 20) -> list[str]:
        if self.alerts is None:
            return []
        n_sku = sim.spec.n_skus
        out = []
        for i in np.flatnonzero(self.alerts.tier != Tier.NONE)[:limit]:
            store, sku = divmod(int(i), n_sku)
            tier = Tier(int(self.alerts.tier[i])).name.lower()
            why = ", ".join(self.alerts.reasons(int(i))) or "stock position"
            out.append(
                f"{sim.spec.stores[store].store_id}/{sim.spec.skus.ids[sku]}: {tier} ({why})"
            )
        return out
