"""Predictive transfers: move stock before a surge the calendar and the weather foretell.

Reactive transfers (``policies.transfers``) move surplus that will expire unsold. The
chains this lab serves also look 24-48 hours ahead: a forecast cold snap and a community
event raise cold-medicine demand at some stores, and on Thursday afternoon the system
plans transfers that go out with Friday morning's replenishment run, before Saturday's
surge.

``PredictiveTransfers.plan`` reads the demand expected over the next ``horizon_days``
(``Simulation.expected_units_ahead``: the demand model's calendar and weather) and, per
store-SKU, the risk of running out before then: ``P(demand over the horizon > stock +
arrivals)`` under Poisson demand. Where the risk exceeds ``risk_threshold`` (0.7) the
store needs the expected shortfall; donors in the same city within ``radius_km`` give
what they hold beyond ``donor_cover`` × their own horizon demand, nearest donor first.
A pair is sent when the expected extra sales (units × price) cover its courier trip.
The transfers go out with the decision that planned them (the day's replenishment run).

``PredictiveRecord`` measures them: a predictive line counts as sold when the receiver
sold, within the horizon (+1 day), at least its stock before plus the units received;
precision is the share of lines sold, and the predictive share is the predictive units
over all transferred units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

from policies.transfers import PlannedTransfer
from sim.errors import ConfigError
from sim.transfer import TransferInputs


@dataclass(frozen=True)
class PredictiveTransfers:
    """Args:
    horizon_days: days ahead the risk looks at (1-2: 24-48 hours).
    risk_threshold: stock-out risk above which a store-SKU gets stock ahead of time.
    radius_km: donors within this road distance (same city).
    donor_cover: a donor keeps this many times its own demand over the horizon.
    min_units: smallest line worth sending.
    """

    horizon_days: int = 2
    risk_threshold: float = 0.7
    radius_km: float = 5.0
    donor_cover: float = 1.5
    min_units: int = 1

    def __post_init__(self) -> None:
        if not (isinstance(self.horizon_days, int) and 1 <= self.horizon_days <= 7):
            raise ConfigError("predictive.horizon_days", self.horizon_days, "an integer 1..7")
        if not 0.0 < self.risk_threshold < 1.0:
            raise ConfigError("predictive.risk_threshold", self.risk_threshold, "a share in (0, 1)")
        if not self.radius_km > 0 or not self.donor_cover >= 1.0:
            raise ConfigError(
                "predictive.radius_km/donor_cover", (self.radius_km, self.donor_cover),
                "radius_km > 0 and donor_cover >= 1",
            )  # fmt: skip

    def risk(self, x: TransferInputs, ahead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """([stores, skus] stock-out risk over the horizon, the demand expected in it)."""
        mean = np.asarray(ahead, dtype=np.float64)[: self.horizon_days].sum(axis=0)
        position = x.on_hand_by_life.sum(axis=2) + x.arriving_units
        risk = poisson.sf(position, np.maximum(mean, 1e-12))  # P(demand > position)
        return np.where(x.blocked | (mean <= 0), 0.0, risk), mean

    def plan(
        self,
        x: TransferInputs,
        ahead: np.ndarray,
        store_ids: tuple[str, ...],
        sku_ids: tuple[str, ...],
        reserved: np.ndarray | None = None,
    ) -> list[PlannedTransfer]:
        """The day's predictive transfers. ``reserved`` [stores, skus]: units already
        leaving each store today (reactive transfers), which a donor cannot give."""
        risk, mean = self.risk(x, ahead)
        on_hand = x.on_hand_by_life.sum(axis=2)
        position = on_hand + x.arriving_units
        need = np.where(risk > self.risk_threshold, np.ceil(mean - position), 0.0)
        need = np.maximum(need, 0.0)
        keep = np.ceil(mean * self.donor_cover)
        spare = on_hand - keep - (0.0 if reserved is None else reserved)
        spare = np.where(x.blocked | (risk > self.risk_threshold), 0.0, np.maximum(spare, 0.0))
        spare = np.floor(spare)
        plans: list[PlannedTransfer] = []
        for dest in np.flatnonzero(need.sum(axis=1) > 0):
            donors = [
                int(o) for o in np.argsort(x.road_km[:, dest], kind="stable")
                if o != dest and x.same_city[o, dest] and x.road_km[o, dest] <= self.radius_km
            ]  # fmt: skip
            for origin in donors:
                units = np.minimum(need[dest], spare[origin])
                if units.sum() < self.min_units:
                    continue
                value = float((units * x.price).sum()) - x.courier_cost(origin, dest)
                if value <= 0:
                    continue
                need[dest] -= units
                spare[origin] -= units
                lines = np.flatnonzero(units)
                reasons = tuple(
                    f"predictive: send {int(units[k])} {sku_ids[k]} from {store_ids[origin]}"
                    f" to {store_ids[dest]}: {store_ids[dest]} expects {mean[dest, k]:.0f} sold"
                    f" in {self.horizon_days * 24} h against {position[dest, k]:.0f} held"
                    f" (stock-out risk {risk[dest, k]:.0%});"
                    f" {store_ids[origin]} keeps {keep[origin, k]:.0f}"
                    for k in lines
                )
                plans.append(
                    PlannedTransfer(origin, int(dest), units.astype(np.int64), value, reasons)
                )
        return plans


@dataclass
class PredictiveRecord:
    """Predictive lines waiting for their horizon to pass, and the counts so far."""

    horizon_days: int
    pending: list[tuple[int, int, int, int, float, float]] = field(default_factory=list)
    lines: int = 0
    lines_sold: int = 0
    units: int = 0

    def add(self, day: int, plans: list[PlannedTransfer], held: np.ndarray, sold: np.ndarray):
        """Record the day's predictive lines: (day, receiver, SKU, units, the receiver's
        stock + arrivals before, its cumulative sold units then)."""
        for plan in plans:
            for k in np.flatnonzero(plan.units):
                d = plan.destination
                self.pending.append(
                    (day, d, int(k), int(plan.units[k]), float(held[d, k]), float(sold[d, k]))
                )
                self.units += int(plan.units[k])

    def settle(self, day: int, sold: np.ndarray) -> None:
        """Judge the lines whose horizon (+1 day) has passed by ``day``."""
        keep = []
        for line in self.pending:
            start, d, k, units, held, sold_then = line
            if day - start <= self.horizon_days:
                keep.append(line)
                continue
            self.lines += 1
            self.lines_sold += int(sold[d, k] - sold_then >= held + units)
        self.pending = keep
