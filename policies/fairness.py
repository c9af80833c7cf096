"""A fairness guard on same-city store-to-store transfers, and each store's net flows.

A transfer planner (``policies.transfers.TransferRules``, the learned
``PairScorerTransfers``) moves stock where it earns most for the chain. Left
alone it drains the same stores again and again: the small ones, whose low
demand makes much of their stock look spare. ``FairnessGuard`` bounds that:

* floor: no store-SKU is sent below ``floor_units`` units nor below
  ``floor_days`` days of its own forecast demand (on hand, before the day's
  sales; what it sells afterwards is not the guard's business);
* protected minimum: the small community stores (the ``protected_share`` of
  the stores with the lowest demand) keep ``protected_min_days`` days of demand;
* weekly cap: a store's net outflow (units sent minus received by transfers,
  all SKUs) over the last ``WEEK_DAYS`` simulated days, today's transfers
  included, stays at most ``max_net_outflow_units_per_week``;
* community weight: ``community_weight`` is added to the planner's score of
  every candidate whose destination is a protected store
  (``destination_bonus``, read by ``TransferRules.plan``).

``FairnessGuard.apply`` clips a day's planned transfers so the floors and the
cap hold: the units it removes stay at their origin (never negative, integers,
never more than planned: nothing is created or lost), each clipped line's
reason says why, and a pair left with nothing worth a courier trip is not sent.
``OutflowHistory`` keeps the per-store net outflow of the last days the cap
reads. The defaults change nothing (``is_neutral``).

``net_flows_by_store`` and ``net_flow_summary`` turn a run's executed flows
(``experiments.replicate``'s ``transfer_flows``, ``{"origin->destination": units}``)
into each store's net units received and their distribution.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.transfers import PlannedTransfer, transfer_benefit
from sim.errors import ConfigError, FieldError
from sim.transfer import Transfer, TransferInputs

WEEK_DAYS = 7  # the weekly cap's window: today and the 6 days before, in simulated days


def _ceil_units(values: np.ndarray) -> np.ndarray:
    """Whole units to keep, rounded up, without a float's last bit adding a unit
    (0.1 × 30 = 3.0000000000000004 keeps 3, not 4)."""
    return np.ceil(np.round(values, 9))


@dataclass(frozen=True)
class GuardedTransfers:
    """A day's transfers after the guard.

    Attributes:
        transfers: what may be sent, in the plan's order (an unclipped plan is the
            planner's own object).
        held_units: [stores, skus] planned units the guard kept at their origin.
        notes: one line per pair the guard dropped whole (nothing left worth a trip).
    """

    transfers: list[PlannedTransfer]
    held_units: np.ndarray
    notes: tuple[str, ...]


@dataclass(frozen=True)
class FairnessGuard:
    """Limits on what transfers may take from a store (all off by default).

    "Small community stores" are the ``protected_share`` of the stores with the
    lowest total forecast demand (all SKUs), ranked afresh each day among the
    stores the planner sees (``ceil(protected_share × stores)`` of them, ties by
    store order). Demand, not a list of store ids, because the network spec has no
    store size or format to read, one policy config serves every scenario (whose
    store ids differ), and low demand is what makes a planner drain a store.

    Args:
        floor_units: a store-SKU is never sent below this many units.
        floor_days: nor below this many days of its own forecast demand.
        max_net_outflow_units_per_week: most units a store may send net of what it
            receives (all SKUs) over the last ``WEEK_DAYS`` days; None: no cap.
        protected_share: share of the stores, by lowest demand, that are protected.
        protected_min_days: days of its own demand a protected store always keeps.
        community_weight: added to the planner's score of a candidate whose
            destination is protected (the score's own units: the rules' urgency is
            in [0, 1]); it ranks destinations, never makes a line qualify.
    """

    floor_units: float = 0.0
    floor_days: float = 0.0
    max_net_outflow_units_per_week: float | None = None
    protected_share: float = 0.0
    protected_min_days: float = 0.0
    community_weight: float = 0.0

    def __post_init__(self) -> None:
        for name in ("floor_units", "floor_days", "protected_min_days", "community_weight"):
            value = getattr(self, name)
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"FairnessGuard.{name}", value, "a finite number >= 0")
        cap = self.max_net_outflow_units_per_week
        if cap is not None and (not _is_number(cap) or not math.isfinite(cap) or cap < 0):
            raise ConfigError(
                "FairnessGuard.max_net_outflow_units_per_week",
                cap,
                "null (no cap) or a finite number >= 0",
            )
        share = self.protected_share
        if not _is_number(share) or not 0 <= share <= 1:
            raise ConfigError("FairnessGuard.protected_share", share, "a share in [0, 1]")

    @property
    def is_neutral(self) -> bool:
        """True when the guard changes nothing (the defaults)."""
        protects = self.protected_share > 0 and (
            self.protected_min_days > 0 or self.community_weight > 0
        )
        return (
            self.floor_units == 0
            and self.floor_days == 0
            and self.max_net_outflow_units_per_week is None
            and not protects
        )

    def protected(self, x: TransferInputs) -> np.ndarray:
        """[stores] bool: the small community stores (lowest total forecast demand)."""
        demand = x.forecast_daily.sum(axis=1)
        n_protected = int(np.ceil(round(self.protected_share * demand.size, 9)))
        out = np.zeros(demand.size, dtype=bool)
        out[np.argsort(demand, kind="stable")[:n_protected]] = True
        return out

    def destination_bonus(self, x: TransferInputs) -> np.ndarray | None:
        """[stores] the community term added to a candidate's score at each destination
        (None when it is 0 everywhere, so the planner runs exactly as without it)."""
        if self.community_weight == 0 or self.protected_share == 0:
            return None
        return self.community_weight * self.protected(x).astype(np.float64)

    def floors(self, x: TransferInputs) -> tuple[np.ndarray, np.ndarray]:
        """([stores, skus] whole units each store-SKU keeps, [stores, skus] which rule sets
        it: 0 floor units, 1 floor days, 2 protected minimum)."""
        protected = self.protected(x)[:, None]
        candidates = np.stack(
            [
                np.full(x.forecast_daily.shape, float(self.floor_units)),
                x.forecast_daily * self.floor_days,
                np.where(protected, x.forecast_daily * self.protected_min_days, 0.0),
            ]
        )
        return _ceil_units(candidates.max(axis=0)), candidates.argmax(axis=0)

    def apply(
        self,
        plans: Sequence[PlannedTransfer],
        x: TransferInputs,
        recent_net_outflow: np.ndarray | None = None,
        store_ids: Sequence[str] = (),
        sku_ids: Sequence[str] = (),
    ) -> GuardedTransfers:
        """The plans clipped so every store keeps its floors and its weekly cap.

        Plans are taken in their order (the planner's: best benefit first), so when
        two compete for one store's room the better keeps it. A floor caps each
        store-SKU's units sent today over all plans at ``on hand - floor``. The cap
        caps a store's units sent net of units received today and in
        ``recent_net_outflow``; counting only receipts already accepted, it holds
        whatever is clipped later. When a pair's units must shrink for the cap, the
        SKUs worth most per unit (price + disposal cost) are kept first. A clipped
        pair whose benefit (``transfer_benefit``) is no longer positive is dropped.

        Args:
            plans: the day's planned transfers (units: [skus] non-negative integers).
            x: the inputs they were planned on.
            recent_net_outflow: [stores] units each store sent minus received by
                transfers earlier in the window (``OutflowHistory.net_outflow``); zeros
                by default.
            store_ids, sku_ids: names for the reasons (indices by default).

        Raises:
            FieldError: a plan's units are negative or not whole, or an argument's shape
                does not fit the inputs.
        """
        n_st, n_sku = x.forecast_daily.shape
        recent = np.zeros(n_st) if recent_net_outflow is None else recent_net_outflow
        recent = np.asarray(recent, dtype=np.float64)
        if recent.shape != (n_st,) or not np.isfinite(recent).all():
            raise FieldError("recent_net_outflow", recent.shape, f"[{n_st}] finite numbers")
        on_hand = np.floor(x.on_hand_by_life.sum(axis=2))
        keep, rule = self.floors(x)
        room = np.maximum(on_hand - keep, 0.0)  # what the floors let go today, over all plans
        net = recent.copy()  # sent minus received in the window, today's accepted included
        cap = self.max_net_outflow_units_per_week
        value = x.price + x.disposal_cost_per_unit
        held = np.zeros((n_st, n_sku), dtype=np.int64)
        out: list[PlannedTransfer] = []
        notes: list[str] = []
        store = lambda i: store_ids[i] if store_ids else i  # noqa: E731
        for i, plan in enumerate(plans):
            planned = _whole_units(plan.units, f"plans[{i}].units", n_sku)
            o, d = plan.origin, plan.destination
            units = np.minimum(planned, room[o]).astype(np.int64)
            by_floor = planned - units
            by_cap = np.zeros(n_sku, dtype=np.int64)
            if cap is not None:
                budget = max(math.floor(round(cap - net[o], 9)), 0)
                capped = _within(units, budget, value)
                by_cap = units - capped
                units = capped
            if not by_floor.any() and not by_cap.any():
                out.append(plan)
            else:
                benefit = transfer_benefit(x, o, d, units)
                if units.sum() == 0 or benefit <= 0:
                    held[o] += planned
                    notes.append(
                        f"not sent {int(planned.sum())} units from {store(o)} to {store(d)}: "
                        f"the fairness guard kept {int((by_floor + by_cap).sum())} at "
                        f"{store(o)}, {int(units.sum())} left not worth a trip"
                    )
                    continue
                why = [
                    self._why(int(by_floor[k]), int(by_cap[k]), keep[o, k], rule[o, k], net[o])
                    for k in range(n_sku)
                ]
                reasons = _clipped_reasons(plan, planned, units, why, store(o), store(d), sku_ids)
                out.append(PlannedTransfer(o, d, units, benefit, reasons))
                held[o] += planned - units
            room[o] -= units
            net[o] += units.sum()
            net[d] -= units.sum()
        return GuardedTransfers(out, held, tuple(notes))

    def _why(self, by_floor: int, by_cap: int, keep: float, rule: int, net_before: float) -> str:
        """Why a line was clipped, in words ('' when it was not)."""
        parts = []
        if by_floor:
            if keep == 0:
                parts.append("not on hand")
            elif rule == 0:
                parts.append(f"floor {int(keep)} units")
            elif rule == 1:
                parts.append(f"floor {self.floor_days:g} days of demand = {int(keep)} units")
            else:
                parts.append(
                    f"protected store minimum {self.protected_min_days:g} days = {int(keep)} units"
                )
        if by_cap:
            parts.append(
                f"net outflow cap {self.max_net_outflow_units_per_week:g} units per "
                f"{WEEK_DAYS} days ({net_before:g} out net before this pair)"
            )
        return " and ".join(parts)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _whole_units(units: np.ndarray, name: str, n_sku: int) -> np.ndarray:
    arr = np.asarray(units)
    if (
        arr.shape != (n_sku,)
        or not np.isfinite(arr).all()
        or (arr < 0).any()
        or (arr != np.floor(arr)).any()
    ):
        raise FieldError(name, arr.tolist(), f"[{n_sku}] non-negative whole units")
    return arr.astype(np.int64)


def _within(units: np.ndarray, budget: int, value: np.ndarray) -> np.ndarray:
    """``units`` cut to ``budget`` in all, the SKUs worth most per unit kept first (ties: SKU
    order)."""
    if units.sum() <= budget:
        return units
    order = np.lexsort((np.arange(units.size), -value))
    u = units[order]
    before = np.cumsum(u) - u
    out = np.zeros_like(units)
    out[order] = np.clip(budget - before, 0, u)
    return out


def _clipped_reasons(
    plan: PlannedTransfer,
    planned: np.ndarray,
    units: np.ndarray,
    why: list[str],
    src: Any,
    dst: Any,
    sku_ids: Sequence[str],
) -> tuple[str, ...]:
    """The plan's reasons with each clipped line's cut and its cause appended.

    The planner writes one reason per SKU it sends, in SKU order; a plan whose
    reasons do not line up so keeps them and gets one line per clipped SKU after them.
    """
    lines = np.flatnonzero(planned)
    aligned = len(plan.reasons) == lines.size

    def cut(k: int) -> str:
        return (
            f"fairness guard: send {int(units[k])} of {int(planned[k])}, "
            f"kept {int(planned[k] - units[k])} at {src}: {why[k]}"
        )

    if aligned:
        return tuple(
            reason if units[k] == planned[k] else f"{reason}; {cut(k)}"
            for reason, k in zip(plan.reasons, lines, strict=True)
        )
    extra = tuple(
        f"{sku_ids[k] if sku_ids else k} from {src} to {dst}: {cut(k)}"
        for k in lines
        if units[k] < planned[k]
    )
    return (*plan.reasons, *extra)


@dataclass
class OutflowHistory:
    """Each store's units sent minus received by transfers, per simulated day, for the
    weekly cap. Units count on the day they are sent (received: the day they leave the
    origin, on their way); days older than ``window_days`` are dropped as new ones come.

    Args:
        window_days: days the sum covers (today and the days before it).
    """

    window_days: int = WEEK_DAYS
    by_day: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.window_days, bool) or not isinstance(self.window_days, int):
            raise ConfigError("OutflowHistory.window_days", self.window_days, "an integer >= 1")
        if self.window_days < 1:
            raise ConfigError("OutflowHistory.window_days", self.window_days, "an integer >= 1")

    def record(
        self, day: int, transfers: Iterable[PlannedTransfer | Transfer], n_stores: int
    ) -> None:
        """Add ``day``'s sent transfers (called again on one day, they add up)."""
        net = self.by_day.setdefault(int(day), np.zeros(n_stores))
        for t in transfers:
            units = float(np.sum(t.units))
            net[t.origin] += units
            net[t.destination] -= units
        for old in [d for d in self.by_day if d <= day - self.window_days]:
            del self.by_day[old]

    def net_outflow(self, day: int, n_stores: int) -> np.ndarray:
        """[stores] units sent minus received within ``(day - window_days, day]``."""
        out = np.zeros(n_stores)
        for d, net in self.by_day.items():
            if day - self.window_days < d <= day:
                out += net
        return out


# ------------------------------------------------------------- net flows of a run
def net_flows_by_store(
    flows: Mapping[Any, Any],
    n_stores: int | None = None,
) -> np.ndarray:
    """[stores] each store's net units received by transfers (received minus sent).

    Args:
        flows: units delivered per store pair, keyed ``"origin->destination"`` (store
            indices, as ``experiments.replicate`` writes ``transfer_flows``) or by an
            ``(origin, destination)`` tuple; a value is the units or a mapping with
            ``units`` (a ``transfer_pairs`` row).
        n_stores: stores in the chain (stores with no flow count 0); by default the
            highest index seen + 1.

    Raises:
        FieldError: a key that is not a pair of store indices, negative or fractional
            units, or an index beyond ``n_stores``.
    """
    pairs = []
    for key, value in flows.items():
        origin, dest = _pair(key)
        units = value.get("units") if isinstance(value, Mapping) else value
        if not _is_number(units) or units < 0 or units != math.floor(units):
            raise FieldError(f"transfer_flows[{key!r}]", units, "non-negative whole units")
        pairs.append((origin, dest, int(units)))
    seen = max((max(o, d) for o, d, _ in pairs), default=-1) + 1
    n = seen if n_stores is None else n_stores
    if seen > n:
        raise FieldError("transfer_flows", f"store index {seen - 1}", f"indices < {n} stores")
    net = np.zeros(n, dtype=np.int64)
    for origin, dest, units in pairs:
        net[origin] -= units
        net[dest] += units
    return net


def _pair(key: Any) -> tuple[int, int]:
    if isinstance(key, str):
        parts = key.split("->")
    elif isinstance(key, tuple):
        parts = list(key)
    else:
        parts = []
    try:
        origin, dest = (int(p) for p in parts)
    except (TypeError, ValueError):
        raise FieldError(
            f"transfer_flows[{key!r}]", key, "'origin->destination' store indices"
        ) from None
    if origin < 0 or dest < 0 or origin == dest:
        raise FieldError(f"transfer_flows[{key!r}]", key, "two different store indices >= 0")
    return origin, dest


def net_flow_summary(net: np.ndarray) -> dict[str, float]:
    """The distribution of stores' net units received (``net_flows_by_store``).

    Returns:
        stores; min, q25, median, q75, max of the net units; donor_share (stores that
        sent more than they received) and receiver_share (the reverse); moved_units (the
        donors' net units sent, = the receivers' net units received). All 0 for no stores.
    """
    net = np.asarray(net, dtype=np.float64)
    if net.size == 0:
        keys = ("min", "q25", "median", "q75", "max", "donor_share", "receiver_share")
        return {"stores": 0, **dict.fromkeys(keys, 0.0), "moved_units": 0.0}
    q25, median, q75 = np.quantile(net, [0.25, 0.5, 0.75])
    return {
        "stores": int(net.size),
        "min": float(net.min()),
        "q25": float(q25),
        "median": float(median),
        "q75": float(q75),
        "max": float(net.max()),
        "donor_share": float((net < 0).mean()),
        "receiver_share": float((net > 0).mean()),
        "moved_units": float(np.maximum(net, 0.0).sum()),
    }
