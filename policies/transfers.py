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
from typing import Any

import numpy as np

from sim.errors import ConfigError, FieldError
from sim.store_sku import expected_unsold
from sim.transfer import Transfer, TransferInputs

URGENCY_TERMS = ("shelf_life", "demand_match", "logistics", "promotion", "service")


@dataclass(frozen=True)
class UrgencyWeights:
    shelf_life: float = 0.30
    demand_match: float = 0.25
    logistics: float = 0.20
    promotion: float = 0.15
    service: float = 0.10

    def __post_init__(self) -> None:
        values = tuple(getattr(self, name) for name in URGENCY_TERMS)
        if any(v < 0 for v in values) or not np.isclose(sum(values), 1.0):
            raise ConfigError("urgency_weights", values, "non-negative weights summing to 1")

    def as_vector(self) -> np.ndarray:
        """[5] the weights in ``URGENCY_TERMS`` order (the order of ``pair_terms``)."""
        return np.array([getattr(self, name) for name in URGENCY_TERMS])


def doomed_units(x: TransferInputs) -> np.ndarray:
    """[stores, skus] units that will expire before they can be sold (FIFO, at the forecast)."""
    return np.floor(expected_unsold(x.on_hand_by_life, x.forecast_daily))


def oldest_life_left(x: TransferInputs) -> np.ndarray:
    """[stores, skus] days of life left of the oldest unit held (0: none held)."""
    has = x.on_hand_by_life > 0
    return np.where(has.any(axis=2), np.argmax(has, axis=2) + 1, 0)


def transfer_benefit(x: TransferInputs, origin: int, dest: int, units: np.ndarray) -> float:
    """The pair's benefit of moving ``units`` [skus]: the units sold at the destination
    (they fill a need) and not disposed of at the origin (they are surplus), less one
    courier trip (per trip + per road km). The units' purchase cost is sunk either way."""
    courier = x.courier_cost(origin, dest)
    benefit_lines = units * (x.price + x.disposal_cost_per_unit)
    return float(benefit_lines.sum() - courier)


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
        """(units each store-SKU may send, life left of its oldest surplus in days): what
        would expire unsold, within ``sendable_cap``."""
        return np.minimum(doomed_units(x), self.sendable_cap(x)), oldest_life_left(x)

    def sendable_cap(self, x: TransferInputs) -> np.ndarray:
        """[stores, skus] the most a store-SKU may send: never its safety days' demand, at most
        ``max_send_share`` of its stock, perishables it may sell only."""
        on_hand = x.on_hand_by_life.sum(axis=2)
        keep = np.ceil(x.forecast_daily * self.safety_days)
        cap = np.minimum(np.maximum(on_hand - keep, 0.0), np.floor(on_hand * self.max_send_share))
        return np.where((x.shelf_life_days > 0)[None, :] & ~x.blocked, cap, 0.0)

    def need(self, x: TransferInputs) -> np.ndarray:
        on_hand = x.on_hand_by_life.sum(axis=2)
        want = np.ceil(x.forecast_daily * self.need_horizon_days)
        return np.where(x.blocked, 0.0, np.maximum(want - on_hand - x.arriving_units, 0.0))

    def pair_terms(
        self,
        x: TransferInputs,
        origin: int,
        dest: int,
        send: np.ndarray,
        need: np.ndarray,
        life_left: np.ndarray,
    ) -> np.ndarray:
        """[5, skus] the urgency score's terms for sending from ``origin`` to ``dest``, each in
        [0, 1]: shelf-life urgency, demand match, logistics, promotion, service."""
        life = np.maximum(x.shelf_life_days, 1)
        km = x.road_km[origin, dest]
        horizon_demand = np.maximum(x.forecast_daily[dest] * self.need_horizon_days, 1e-9)
        return np.stack(
            [
                np.clip(1.0 - (life_left[origin] - 1) / life, 0.0, 1.0),
                np.minimum(need[dest], send[origin]) / np.maximum(send[origin], 1e-9),
                np.full(send.shape[1], 1.0 - km / self.radius_km),
                x.on_promotion[dest],
                np.clip(need[dest] / horizon_demand, 0.0, 1.0),
            ]
        )

    def plan_context(self, x: TransferInputs, send: np.ndarray, need: np.ndarray) -> Any:
        """What ``score`` reads beyond one pair's terms, computed once per plan (none here)."""
        return None

    def score(
        self, x: TransferInputs, origin: int, dest: int, terms: np.ndarray, context: Any
    ) -> np.ndarray:
        """[skus] the candidate's score: the weighted urgency terms (any score qualifies)."""
        return self.weights.as_vector() @ terms

    min_score = -np.inf  # a candidate qualifies with a score above this (the rules: any)

    def plan(
        self,
        x: TransferInputs,
        store_ids: tuple[str, ...] = (),
        sku_ids: tuple[str, ...] = (),
        *,
        origin_mask: np.ndarray | None = None,
        dest_bonus: np.ndarray | None = None,
    ) -> list[PlannedTransfer]:
        """The transfers worth dispatching now, best candidates first.

        Args:
            origin_mask: [stores, skus] where surplus may be offered (all by default).
            dest_bonus: [stores] added to every candidate's score at that destination, in
                the score's own units (``policies.fairness.FairnessGuard.destination_bonus``:
                a community-service term). It only ranks candidates: whether a line
                qualifies is the planner's own score against ``min_score``, so a bonus never
                sends what the planner would not send somewhere.
        """
        send, life_left = self.surplus(x)
        if origin_mask is not None:
            send = np.where(origin_mask, send, 0.0)
        need = self.need(x)
        context = self.plan_context(x, send, need)
        n_st = send.shape[0]
        if dest_bonus is not None:
            dest_bonus = np.asarray(dest_bonus, dtype=np.float64)
            if dest_bonus.shape != (n_st,) or not np.isfinite(dest_bonus).all():
                raise FieldError("dest_bonus", dest_bonus.shape, f"[{n_st}] finite numbers")
        # (origin, destination) -> (units by SKU, score by SKU), only for pairs that move
        # something: a dense [stores, stores, skus] pair of arrays is 2 GB on one region of
        # liqun_chain (36 stores x 100,000 SKUs)
        moves: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for origin in np.flatnonzero(send.sum(axis=1) > 0):
            best_score = np.full(send.shape[1], -np.inf)
            best_dest = np.full(send.shape[1], -1)
            for dest in range(n_st):
                km = x.road_km[origin, dest]
                if dest == origin or km > self.radius_km or not x.same_city[origin, dest]:
                    continue
                terms = self.pair_terms(x, origin, dest, send, need, life_left)
                score = self.score(x, origin, dest, terms, context)
                qualifies = (need[dest] > 0) & (send[origin] > 0) & (score > self.min_score)
                if dest_bonus is not None:
                    score = score + dest_bonus[dest]
                score = np.where(qualifies, score, -np.inf)
                better = score > best_score
                best_score = np.where(better, score, best_score)
                best_dest = np.where(better, dest, best_dest)
            for dest in np.unique(best_dest[best_dest >= 0]):
                pick = best_dest == dest
                qty = np.where(pick, np.minimum(send[origin], need[dest]), 0.0)
                moves[int(origin), int(dest)] = (qty, np.where(pick, best_score, 0.0))
                need[dest] -= qty  # a later origin does not fill the same need twice
        plans = []
        for (origin, dest), (qty, pair_scores) in sorted(moves.items()):
            if qty.sum() < self.min_units:
                continue
            units = np.floor(qty).astype(np.int64)
            km = float(x.road_km[origin, dest])
            benefit = transfer_benefit(x, origin, dest, units)
            if benefit <= 0:
                continue
            src = store_ids[origin] if store_ids else origin
            dst = store_ids[dest] if store_ids else dest
            bonus = 0.0 if dest_bonus is None else float(dest_bonus[dest])
            # the planner's own score and the bonus that ranked the destination, apart
            with_bonus = f" + community {bonus:.2f}" if bonus else ""
            reasons = tuple(
                f"send {int(units[k])} {sku_ids[k] if sku_ids else k} from {src} to {dst}: "
                f"{int(send[origin, k])} would expire unsold, destination short {int(units[k])}; "
                f"{self.score_name} {pair_scores[k] - bonus:.2f}{with_bonus}, {km:.1f} km"
                for k in np.flatnonzero(units)
            )
            plans.append(PlannedTransfer(int(origin), int(dest), units, benefit, reasons))
        return sorted(plans, key=lambda p: -p.benefit)

    score_name = "urgency"  # how the explanations name the score
