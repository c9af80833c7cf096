"""Rule-based store-to-store transfers of surplus (same city, by courier).

For each store-SKU with surplus (stock it will not sell before it expires, never
below its own safety stock, at most ``max_send_share`` of its stock per day),
scan stores within ``radius_km`` that need the SKU (demand over the need
horizon above their stock plus what is arriving). Score each candidate with the
urgency score, each term normalised to [0, 1]:

    0.30 × shelf-life urgency   (1 = the surplus expires today)
  + 0.25 × demand match         (share of the surplus the candidate can absorb)
  + 0.20 × logistics cost       (1 − road km / radius)
  + 0.15 × promotion relevance  (1 if the SKU is on promotion at the candidate)
  + 0.10 × customer-service impact (candidate's shortfall / its demand over the horizon)

(weights from config). The best-scoring candidate gets ``min(surplus, need)``.
Then the benefit is simulated per store pair:

    expected extra sales at the destination × price
  + avoided disposal cost at the origin
  − courier cost (per trip + per km)

(the units' purchase cost is sunk either way) and only pairs with positive
benefit are dispatched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.errors import ConfigError
from sim.store_sku import StoreSkuView
from sim.transfer import Transfer


@dataclass(frozen=True)
class UrgencyWeights:
    shelf_life: float = 0.30
    demand_match: float = 0.25
    logistics: float = 0.20
    promotion: float = 0.15
    service: float = 0.10

    def __post_init__(self) -> None:
        values = (self.shelf_life, self.demand_match, self.logistics, self.promotion, self.service)
        if any(v < 0 for v in values) or not np.isclose(sum(values), 1.0):
            raise ConfigError("urgency_weights", values, "non-negative weights summing to 1")


@dataclass(frozen=True)
class TransferInputs:
    """The city's state, all [stores, skus] unless noted.

    Attributes:
        on_hand_by_life: [stores, skus, R] units by remaining life (index r-1 = r days left).
        forecast_daily: expected daily demand.
        arriving_units: units already on the way (trucks, couriers) within the horizon.
        on_promotion: promotion flags.
        shelf_life_days: [skus] (0 = non-perishable).
        price, disposal_cost_per_unit: [skus].
        road_km: [stores, stores]; same_city: [stores, stores] bool.
        blocked: store may not sell the SKU.
        cost_per_trip, cost_per_km: the courier tariff.
    """

    on_hand_by_life: np.ndarray
    forecast_daily: np.ndarray
    arriving_units: np.ndarray
    on_promotion: np.ndarray
    shelf_life_days: np.ndarray
    price: np.ndarray
    disposal_cost_per_unit: np.ndarray
    road_km: np.ndarray
    same_city: np.ndarray
    blocked: np.ndarray
    cost_per_trip: float
    cost_per_km: float

    @classmethod
    def from_view(
        cls,
        view: StoreSkuView,
        store_of_row: np.ndarray,
        sku_of_row: np.ndarray,
        shape: tuple[int, int],
        *,
        road_km: np.ndarray,
        same_city: np.ndarray,
        cost_per_trip: float,
        cost_per_km: float,
        blocked: np.ndarray | None = None,
    ) -> TransferInputs:
        """The rules' dense [stores, skus] grid from the one store-SKU view.

        Args:
            view: the rows (a rules' view: ``on_hand_by_life`` and the money filled).
            store_of_row, sku_of_row: each row's place in the grid.
            shape: (stores, skus) of the grid; pairs with no row hold nothing.
            blocked: [stores, skus] where the grid's pairs may not be sold (default:
                the rows' flags, False where there is no row).
        """

        def dense(values: np.ndarray) -> np.ndarray:
            out = np.zeros(shape)
            out[store_of_row, sku_of_row] = values
            return out

        def per_sku(values: np.ndarray, dtype: type) -> np.ndarray:
            out = np.zeros(shape[1], dtype=dtype)
            out[sku_of_row] = values
            return out

        by_life = np.zeros((*shape, view.on_hand_by_life.shape[1]))
        by_life[store_of_row, sku_of_row] = view.on_hand_by_life
        return cls(
            on_hand_by_life=by_life,
            forecast_daily=dense(view.forecast_daily),
            arriving_units=dense(view.arriving_1d),
            on_promotion=dense(view.on_promotion.astype(np.float64)),
            shelf_life_days=per_sku(view.shelf_life_days, np.int64),
            price=per_sku(view.price, np.float64),
            disposal_cost_per_unit=per_sku(view.waste_cost_per_unit, np.float64),
            road_km=road_km,
            same_city=same_city,
            blocked=dense(view.blocked).astype(bool) if blocked is None else blocked,
            cost_per_trip=cost_per_trip,
            cost_per_km=cost_per_km,
        )


@dataclass(frozen=True)
class PlannedTransfer:
    """One store pair's transfer with the reasons behind it."""

    origin: int
    destination: int
    units: np.ndarray  # [skus]
    benefit: float
    reasons: tuple[str, ...]

    def to_transfer(self) -> Transfer:
        return Transfer(self.origin, self.destination, self.units)


@dataclass(frozen=True)
class TransferRules:
    """Args:
    radius_km: candidates within this road distance.
    need_horizon_days: a candidate needs what it would sell in this many days beyond
        its stock and arrivals.
    safety_days: a store keeps this many days of its own demand (never sent away).
    max_send_share: most of a store-SKU's stock it may send per day.
    weights: urgency score weights.
    min_units: smallest transfer worth a line.
    """

    radius_km: float = 5.0
    need_horizon_days: float = 1.5
    safety_days: float = 1.0
    max_send_share: float = 0.5
    weights: UrgencyWeights = field(default_factory=UrgencyWeights)
    min_units: int = 1

    def __post_init__(self) -> None:
        if self.radius_km <= 0:
            raise ConfigError("TransferRules.radius_km", self.radius_km, "a number > 0")
        if not 0 < self.max_send_share <= 1:
            raise ConfigError(
                "TransferRules.max_send_share", self.max_send_share, "a share in (0, 1]"
            )
        if self.need_horizon_days <= 0 or self.safety_days < 0:
            raise ConfigError(
                "TransferRules.need_horizon_days/safety_days",
                (self.need_horizon_days, self.safety_days),
                "> 0 and >= 0",
            )

    def surplus(self, x: TransferInputs) -> tuple[np.ndarray, np.ndarray]:
        """(units each store-SKU may send, life left of its oldest surplus in days)."""
        by_life = x.on_hand_by_life
        on_hand = by_life.sum(axis=2)
        r = np.arange(1, by_life.shape[2] + 1)[None, None, :]
        unsold = np.maximum(np.cumsum(by_life, axis=2) - x.forecast_daily[:, :, None] * r, 0.0)
        doomed = np.floor(unsold.max(axis=2))  # will expire before it can be sold (FIFO)
        perishable = (x.shelf_life_days > 0)[None, :]
        keep = np.ceil(x.forecast_daily * self.safety_days)
        sendable = np.minimum(doomed, np.maximum(on_hand - keep, 0.0))
        sendable = np.minimum(sendable, np.floor(on_hand * self.max_send_share))
        sendable = np.where(perishable & ~x.blocked, sendable, 0.0)
        has = by_life > 0
        life_left = np.where(has.any(axis=2), np.argmax(has, axis=2) + 1, 0)
        return sendable, life_left

    def need(self, x: TransferInputs) -> np.ndarray:
        on_hand = x.on_hand_by_life.sum(axis=2)
        want = np.ceil(x.forecast_daily * self.need_horizon_days)
        return np.where(x.blocked, 0.0, np.maximum(want - on_hand - x.arriving_units, 0.0))

    def plan(
        self,
        x: TransferInputs,
        store_ids: tuple[str, ...] = (),
        sku_ids: tuple[str, ...] = (),
        *,
        origin_mask: np.ndarray | None = None,
    ) -> list[PlannedTransfer]:
        """The transfers worth dispatching now, best candidates first.

        Args:
            origin_mask: [stores, skus] where surplus may be offered (all by default).
        """
        w = self.weights
        send, life_left = self.surplus(x)
        if origin_mask is not None:
            send = np.where(origin_mask, send, 0.0)
        need = self.need(x)
        n_st = send.shape[0]
        life = np.maximum(x.shelf_life_days, 1)[None, :]
        urgency_life = np.clip(1.0 - (life_left - 1) / life, 0.0, 1.0)
        horizon_demand = np.maximum(x.forecast_daily * self.need_horizon_days, 1e-9)
        moves = np.zeros((n_st, n_st, send.shape[1]))
        scores = np.zeros_like(moves)
        for origin in np.flatnonzero(send.sum(axis=1) > 0):
            best_score = np.full(send.shape[1], -np.inf)
            best_dest = np.full(send.shape[1], -1)
            for dest in range(n_st):
                km = x.road_km[origin, dest]
                if dest == origin or km > self.radius_km or not x.same_city[origin, dest]:
                    continue
                match = np.minimum(need[dest], send[origin]) / np.maximum(send[origin], 1e-9)
                score = (
                    w.shelf_life * urgency_life[origin]
                    + w.demand_match * match
                    + w.logistics * (1.0 - km / self.radius_km)
                    + w.promotion * x.on_promotion[dest]
                    + w.service * np.clip(need[dest] / horizon_demand[dest], 0.0, 1.0)
                )
                score = np.where((need[dest] > 0) & (send[origin] > 0), score, -np.inf)
                better = score > best_score
                best_score = np.where(better, score, best_score)
                best_dest = np.where(better, dest, best_dest)
            for dest in np.unique(best_dest[best_dest >= 0]):
                pick = best_dest == dest
                qty = np.where(pick, np.minimum(send[origin], need[dest]), 0.0)
                moves[origin, dest] = qty
                scores[origin, dest] = np.where(pick, best_score, 0.0)
                need[dest] -= qty  # a later origin does not fill the same need twice
        plans = []
        for origin, dest in zip(*np.nonzero(moves.sum(axis=2) >= self.min_units), strict=True):
            units = np.floor(moves[origin, dest]).astype(np.int64)
            km = float(x.road_km[origin, dest])
            courier = x.cost_per_trip + x.cost_per_km * km
            # the moved units are sold at the destination within the horizon (they fill a need)
            # and would have expired unsold at the origin (they are surplus)
            benefit_lines = units * (x.price + x.disposal_cost_per_unit)
            benefit = float(benefit_lines.sum() - courier)
            if benefit <= 0:
                continue
            src = store_ids[origin] if store_ids else origin
            dst = store_ids[dest] if store_ids else dest
            reasons = tuple(
                f"send {int(units[k])} {sku_ids[k] if sku_ids else k} from {src} to {dst}: "
                f"{int(send[origin, k])} would expire unsold, destination short {int(units[k])}; "
                f"urgency {scores[origin, dest, k]:.2f}, {km:.1f} km"
                for k in np.flatnonzero(units)
            )
            plans.append(PlannedTransfer(int(origin), int(dest), units, benefit, reasons))
        return sorted(plans, key=lambda p: -p.benefit)
