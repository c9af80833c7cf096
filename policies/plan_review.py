"""Transfer plan options and the store manager's decision (the veto).

Chains do not let a planner move stock on its own: for each transfer alert (a store-SKU
whose stock will expire unsold) the system shows a few options, each a receiver and a
quantity with its expected waste avoided and extra sales and the reasons, and the store
manager picks one or vetoes. Only low-value, high-certainty transfers that the chain
allows (the autonomy limit) run without a decision.

``plan_options`` builds the alerts and their options from the same inputs, surplus, need
and urgency score as ``policies.transfers.TransferRules.plan``: for each origin
store-SKU with surplus, the ``options_per_alert`` best-scoring receivers that need it,
each offered ``min(surplus, need)`` units.

``ManagerReview`` decides in a study (a simulated manager: vetoes an alert with
``veto_probability``, otherwise picks the option of highest expected value; its draws
come from its own named stream of the replication's seed). A vetoed alert moves no unit.
``chosen_transfers`` turns the chosen options into one transfer per store pair.

Expected value of an option: ``extra_sales`` (its units × price at the receiver, where
they fill a need) + ``waste_avoided`` (its units × disposal cost at the origin); the
courier trip is shown beside it (``courier_cost``) and charged per store pair: the
chosen options of a pair whose value does not cover its trip are not sent, as the rules'
planner does. ``certainty``: the share of the units the receiver is expected to sell
before they expire, ``min(1, forecast × life left / (receiver's stock + units))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from policies.transfers import TransferRules
from sim.errors import ConfigError
from sim.transfer import Transfer, TransferInputs
from sim.validation import real_value


class Decision(StrEnum):
    """What became of an alert."""

    ACCEPTED = "accepted"  # the manager picked an option
    VETOED = "vetoed"  # the manager refused every option: nothing moves
    AUTOMATIC = "automatic"  # within the autonomy limit: ran without a decision


@dataclass(frozen=True)
class TransferOption:
    """One way to act on an alert: send ``units`` of the SKU to ``destination``."""

    option_id: str
    origin: int
    destination: int
    sku: int
    units: int
    extra_sales: float
    waste_avoided: float
    courier_cost: float
    certainty: float
    score: float
    reason: str

    @property
    def value(self) -> float:
        """Expected money of the option before the courier (the options sent to one
        receiver share a trip): extra sales + waste avoided."""
        return self.extra_sales + self.waste_avoided


@dataclass(frozen=True)
class TransferAlert:
    """An origin store-SKU whose stock will expire unsold, with its options (best first)."""

    alert_id: str
    origin: int
    sku: int
    surplus_units: int
    life_left_days: int
    options: tuple[TransferOption, ...]


def plan_options(
    rules: TransferRules,
    x: TransferInputs,
    store_ids: tuple[str, ...],
    sku_ids: tuple[str, ...],
    options_per_alert: int = 3,
) -> list[TransferAlert]:
    """The day's transfer alerts, each with up to ``options_per_alert`` options (one per
    receiver, best urgency score first); alerts with no receiver that needs the SKU are
    left out (nothing to decide)."""
    send, life_left = rules.surplus(x)
    need = rules.need(x)
    context = rules.plan_context(x, send, need)
    n_st = send.shape[0]
    alerts: list[TransferAlert] = []
    for origin in np.flatnonzero(send.sum(axis=1) > 0):
        dests, scores = [], []
        for dest in range(n_st):
            km = x.road_km[origin, dest]
            if dest == origin or km > rules.radius_km or not x.same_city[origin, dest]:
                continue
            terms = rules.pair_terms(x, origin, dest, send, need, life_left)
            score = rules.score(x, origin, dest, terms, context)
            qualifies = (need[dest] > 0) & (send[origin] > 0) & (score > rules.min_score)
            dests.append(dest)
            scores.append(np.where(qualifies, score, -np.inf))
        if not dests:
            continue
        score_by_dest = np.array(scores)  # [candidates, skus]
        for sku in np.flatnonzero(send[origin] > 0):
            ranked = np.argsort(-score_by_dest[:, sku], kind="stable")[:options_per_alert]
            ranked = [r for r in ranked if np.isfinite(score_by_dest[r, sku])]
            if not ranked:
                continue
            alert_id = f"{store_ids[origin]}/{sku_ids[sku]}"
            options = tuple(
                _option(x, alert_id, i, int(origin), dests[r], int(sku), send, need,
                        life_left, float(score_by_dest[r, sku]), store_ids, sku_ids)
                for i, r in enumerate(ranked)
            )  # fmt: skip
            alerts.append(
                TransferAlert(
                    alert_id,
                    int(origin),
                    int(sku),
                    int(send[origin, sku]),
                    int(life_left[origin, sku]),
                    options,
                )
            )
    return alerts


def _option(
    x: TransferInputs, alert_id: str, rank: int, origin: int, dest: int, sku: int,
    send: np.ndarray, need: np.ndarray, life_left: np.ndarray, score: float,
    store_ids: tuple[str, ...], sku_ids: tuple[str, ...],
) -> TransferOption:  # fmt: skip
    units = int(min(send[origin, sku], need[dest, sku]))
    km = float(x.road_km[origin, dest])
    courier = x.courier_cost(origin, dest)
    held = float(x.on_hand_by_life[dest, sku].sum() + x.arriving_units[dest, sku])
    life = int(life_left[origin, sku])
    sells = float(x.forecast_daily[dest, sku]) * max(life, 1)
    certainty = min(1.0, sells / max(held + units, 1e-9))
    extra_sales = units * float(x.price[sku])
    waste_avoided = units * float(x.disposal_cost_per_unit[sku])
    reason = (
        f"option {rank + 1}: send {units} {sku_ids[sku]} from {store_ids[origin]} to"
        f" {store_ids[dest]} ({km:.1f} km): {int(send[origin, sku])} would expire unsold"
        f" within {life} days, {store_ids[dest]} short {int(need[dest, sku])};"
        f" extra sales {extra_sales:.2f}, waste avoided {waste_avoided:.2f}, courier"
        f" {courier:.2f}; sells in time with certainty {certainty:.0%}; score {score:.2f}"
    )
    return TransferOption(
        f"{alert_id}#{rank + 1}", origin, dest, sku, units, extra_sales, waste_avoided,
        courier, certainty, score, reason,
    )  # fmt: skip


@dataclass(frozen=True)
class ReviewedAlert:
    """An alert with what was decided and the option that runs (None when vetoed)."""

    alert: TransferAlert
    decision: Decision
    chosen: TransferOption | None


@dataclass
class ManagerReview:
    """The simulated store manager who decides on each alert's options.

    Args:
        options_per_alert: options shown per alert.
        veto_probability: chance the manager vetoes an alert (nothing moves).
        autonomy_value_limit: an alert whose best option is worth at most this much and
            sells in time with at least ``autonomy_min_certainty`` runs without a
            decision (0: every transfer needs one).
        autonomy_min_certainty: see above.
        seed_offset: the manager's own stream is ``default_rng([seed, seed_offset])``.
    """

    options_per_alert: int = 3
    veto_probability: float = 0.1
    autonomy_value_limit: float = 0.0
    autonomy_min_certainty: float = 0.9
    seed_offset: int = 0x5E71E3  # the manager's stream, apart from every simulator stream
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.options_per_alert, int) and 1 <= self.options_per_alert <= 10):
            raise ConfigError("review.options_per_alert", self.options_per_alert, "1..10")
        for name in ("veto_probability", "autonomy_min_certainty"):
            real_value(getattr(self, name), f"review.{name}", 0.0, 1.0,
                       allowed="a probability in [0, 1]")  # fmt: skip
        limit = self.autonomy_value_limit
        if not (isinstance(limit, int | float) and 0.0 <= limit < float("inf")):
            raise ConfigError("review.autonomy_value_limit", limit, "a finite amount >= 0")
        self.reset(None)

    def reset(self, seed: int | None) -> None:
        """The manager's draws for a new replication (``seed`` None: seed 0)."""
        self.rng = np.random.default_rng([0 if seed is None else int(seed), self.seed_offset])

    def automatic(self, alert: TransferAlert) -> bool:
        """Whether the alert's best option runs without a decision (a limit of 0 allows
        nothing)."""
        best = alert.options[0]
        return (
            self.autonomy_value_limit > 0
            and best.value <= self.autonomy_value_limit
            and best.certainty >= self.autonomy_min_certainty
        )

    def decide(self, alerts: list[TransferAlert]) -> list[ReviewedAlert]:
        """Each alert's decision, in alert order (one draw per alert that needs one)."""
        out = []
        for alert in alerts:
            if self.automatic(alert):
                out.append(ReviewedAlert(alert, Decision.AUTOMATIC, alert.options[0]))
            elif self.rng.random() < self.veto_probability:
                out.append(ReviewedAlert(alert, Decision.VETOED, None))
            else:
                best = max(alert.options, key=lambda o: o.value)
                out.append(ReviewedAlert(alert, Decision.ACCEPTED, best))
        return out


def chosen_transfers(
    reviewed: list[ReviewedAlert], need: np.ndarray
) -> tuple[list[Transfer], dict[tuple[int, int], list[str]]]:
    """One transfer per store pair of the chosen options, and each pair's reasons.

    Vetoed alerts move nothing. Options of different origins may fill one receiver's
    need: in alert order each takes what is still needed (``need`` [stores, skus]).
    """
    left = np.array(need, dtype=np.float64, copy=True)
    by_pair: dict[tuple[int, int], np.ndarray] = {}
    reasons: dict[tuple[int, int], list[str]] = {}
    for item in reviewed:
        option = item.chosen
        if option is None:
            continue
        units = int(min(option.units, max(left[option.destination, option.sku], 0.0)))
        if units <= 0:
            continue
        left[option.destination, option.sku] -= units
        pair = (option.origin, option.destination)
        by_pair.setdefault(pair, np.zeros(need.shape[1], np.int64))[option.sku] += units
        reasons.setdefault(pair, []).append(f"{option.reason} [{item.decision.value}]")
    transfers = [Transfer(o, d, units) for (o, d), units in sorted(by_pair.items())]
    return transfers, reasons
