"""Recommend and review: a simulated reviewer per store decides on each order suggestion,
and the system learns from what the reviewers change.

``ReviewedRule`` wraps any replenishment rule. Each day the rule's suggestion per
store-SKU goes to the store's reviewer (``SimulatedReviewer``), who accepts it, edits it
toward the quantity they usually order, or rejects it. The reviewer's acceptance rises
with trust, and trust rises as the system's recent forecast errors fall (a smoothed
``1 - relative error`` of yesterday's sales against the forecast). What was finally
ordered is what the simulator receives. The loop closes: per store-SKU the system keeps a
correction factor, the smoothed ratio of final to suggested units over the lines a
reviewer changed, and multiplies its next suggestions by it (``learn_rate``), so a
reviewer who always trims a line stops having to.

Counts per KPI period (``period_counts``): lines reviewed, accepted, changed, rejected;
the what-if turns them into ``override_rate`` (changed + rejected over reviewed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.view import OrderDecision
from sim.store_sku import StoreSkuView, round_to_packs
from sim.validation import real_value


def _share(name: str, value: float) -> None:
    real_value(value, f"review.{name}", 0.0, 1.0, allowed="a share in [0, 1]")


@dataclass
class SimulatedReviewer:
    """Args:
    accept_probability: chance of accepting a suggestion as it is, at zero trust.
    trust_weight: how much full trust adds to it (``p = base + (1 - base) * w * trust``).
    reject_share: of the suggestions not accepted, the share rejected (0 units); the rest
        are edited ``edit_toward_usual`` of the way toward the usual quantity.
    edit_toward_usual: see above.
    usual_weight: how fast the usual quantity follows what was ordered.
    trust_weight_of_day: how fast trust follows the system's daily accuracy.
    seed_offset: the reviewers' stream is ``default_rng([seed, seed_offset])``.
    """

    accept_probability: float = 0.6
    trust_weight: float = 0.5
    reject_share: float = 0.2
    edit_toward_usual: float = 0.5
    usual_weight: float = 0.2
    trust_weight_of_day: float = 0.1
    seed_offset: int = 0x5E71E4
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("accept_probability", "trust_weight", "reject_share",
                     "edit_toward_usual", "usual_weight", "trust_weight_of_day"):  # fmt: skip
            _share(name, getattr(self, name))
        self.reset(None)

    def reset(self, seed: int | None) -> None:
        self.rng = np.random.default_rng([0 if seed is None else int(seed), self.seed_offset])


@dataclass
class ReviewedRule:
    """Args:
    rule: the replenishment rule whose suggestions are reviewed.
    reviewer: the simulated reviewers (one behaviour, each store-SKU its own draws).
    learn_rate: how fast the correction factor follows the reviewers' edits (0: never).
    """

    rule: Any
    reviewer: SimulatedReviewer = field(default_factory=SimulatedReviewer)
    learn_rate: float = 0.3

    def __post_init__(self) -> None:
        _share("learn_rate", self.learn_rate)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.reviewer.reset(seed)
        if hasattr(self.rule, "reset"):
            self.rule.reset(seed)
        self.usual: np.ndarray | None = None
        self.correction: np.ndarray | None = None
        self.trust = 0.0
        self.reset_period()

    def reset_period(self) -> None:
        self.counts = {"accepted": 0, "changed": 0, "rejected": 0}

    def observe(self, sim: Any, forecast: np.ndarray) -> None:
        if hasattr(self.rule, "observe"):
            self.rule.observe(sim, forecast)

    def _update_trust(self, view: StoreSkuView) -> None:
        sold = np.asarray(view.sales_yesterday, dtype=np.float64)
        expected = np.asarray(view.forecast_daily, dtype=np.float64)
        if sold.sum() + expected.sum() <= 0:
            return
        accuracy = 1.0 - min(1.0, float(np.abs(sold - expected).sum() / max(expected.sum(), 1e-9)))
        w = self.reviewer.trust_weight_of_day
        self.trust = w * accuracy + (1 - w) * self.trust

    def decide(self, view: StoreSkuView) -> OrderDecision:
        base = self.rule.decide(view)
        n = view.n
        if self.usual is None:
            self.usual = np.asarray(base.units, dtype=np.float64).copy()
            self.correction = np.ones(n)
        assert self.correction is not None
        self._update_trust(view)
        suggested = round_to_packs(base.units * self.correction, view.pack_units, up=True)
        suggested = np.where(view.blocked, 0, suggested).astype(np.int64)
        r = self.reviewer
        accept_p = r.accept_probability + (1 - r.accept_probability) * r.trust_weight * self.trust
        draw = r.rng.random((2, n))
        lines = suggested > 0
        accepted = lines & (draw[0] < accept_p)
        rejected = lines & ~accepted & (draw[1] < r.reject_share)
        changed = lines & ~accepted & ~rejected
        edited = suggested + r.edit_toward_usual * (self.usual - suggested)
        edited = round_to_packs(np.maximum(edited, 0.0), view.pack_units, up=True)
        final = np.where(rejected, 0, np.where(changed, edited, suggested)).astype(np.int64)
        changed &= final != suggested  # an edit that lands on the suggestion is an accept
        accepted = lines & ~changed & ~rejected
        self.counts["accepted"] += int(accepted.sum())
        self.counts["changed"] += int(changed.sum())
        self.counts["rejected"] += int(rejected.sum())
        # the loop: recurring edits move the suggestions of those store-SKUs
        ratio = np.where(suggested > 0, final / np.maximum(suggested, 1), 1.0)
        lr = self.learn_rate
        self.correction = np.where(
            changed, self.correction * ((1 - lr) + lr * ratio), self.correction
        )
        self.usual = np.where(
            lines, r.usual_weight * final + (1 - r.usual_weight) * self.usual, self.usual
        )
        terms = {**base.terms, "suggested": suggested.astype(np.float64)}
        return OrderDecision(final, terms, base.template + " (reviewed: suggested {suggested})")

    def period_counts(self) -> dict[str, int]:
        """Lines reviewed since the period's start and what became of them."""
        reviewed = sum(self.counts.values())
        return {"review_lines": reviewed, **{f"review_{k}": v for k, v in self.counts.items()}}
