"""Ordering by staff judgement: the "before" of a chain that moves to a system.

What store staff do by hand, as chains describe it, each habit a parameter:

* **periodic review by department**: a SKU is looked at every ``review_every_days``
  days (departments on different days: a SKU's turn is its index modulo the period);
* **a remembered "usual week"**: staff order up to ``usual_weeks`` of what they remember
  selling in a week, an average that follows sales slowly (``memory_weight`` a day) and
  does not see a promotion until ``promotion_delay_days`` into it (late reaction);
* **over-ordering after a stock-out**: a SKU that ran out since its last review is
  ordered ``stockout_boost`` times its usual week (best sellers are remembered by the
  empty shelf);
* **forgetting slow movers**: a SKU whose usual week is below
  ``forget_below_units_per_week`` is not reordered until it is out of stock;
* **whole cases**, rounded up;
* **response time**: what staff decide reaches the system ``response_days`` later
  (store entry, then the DC's batch), so each day's orders are the decisions of
  ``response_days`` ago.

The policy keeps its memory between days (``reset`` forgets it): a lab policy, not a
served one. Calibrated against nothing yet: the hypermarket scenario it is meant to be
calibrated on does not exist (issue 15 item 2).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from policies.heuristics.common import check_non_negative, finish
from policies.view import OrderDecision
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


@dataclass
class StaffJudgement:
    """Args: see the module docstring."""

    review_every_days: int = 3
    usual_weeks: float = 1.0
    memory_weight: float = 0.1
    promotion_delay_days: int = 2
    stockout_boost: float = 1.5
    forget_below_units_per_week: float = 1.0
    response_days: int = 1
    _usual_daily: np.ndarray | None = field(default=None, init=False, repr=False)
    _ran_out: np.ndarray | None = field(default=None, init=False, repr=False)
    _promo_days: np.ndarray | None = field(default=None, init=False, repr=False)
    _pending: deque = field(default_factory=deque, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("review_every_days", "promotion_delay_days", "response_days"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 30):
                raise ConfigError(f"StaffJudgement.{name}", value, "whole days 0..30")
        if self.review_every_days < 1:
            raise ConfigError("StaffJudgement.review_every_days", 0, "whole days 1..30")
        check_non_negative(
            "StaffJudgement", usual_weeks=self.usual_weeks, stockout_boost=self.stockout_boost,
            forget_below_units_per_week=self.forget_below_units_per_week,
        )  # fmt: skip
        if not 0.0 < self.memory_weight <= 1.0:
            raise ConfigError(
                "StaffJudgement.memory_weight", self.memory_weight, "a share in (0, 1]"
            )

    def reset(self, seed: int | None = None) -> None:
        self._usual_daily = self._ran_out = self._promo_days = None
        self._pending.clear()

    def _remember(self, view: StoreSkuView) -> None:
        """Yesterday's sales into the remembered usual day (promotions seen late)."""
        sold = np.asarray(view.sales_yesterday, dtype=np.float64)
        promo = np.asarray(view.on_promotion, dtype=bool) if view.on_promotion is not None else 0
        if self._usual_daily is None:
            self._usual_daily = np.asarray(view.forecast_daily, dtype=np.float64).copy()
            self._ran_out = np.zeros(view.n, dtype=bool)
            self._promo_days = np.zeros(view.n, dtype=np.int64)
        self._promo_days = np.where(promo, self._promo_days + 1, 0)
        # during the first days of a promotion staff still remember the usual, unpromoted week
        seen = self._promo_days == 0
        seen |= self._promo_days > self.promotion_delay_days
        w = self.memory_weight
        self._usual_daily = np.where(
            seen, w * sold + (1 - w) * self._usual_daily, self._usual_daily
        )
        self._ran_out |= np.asarray(view.on_hand) <= 0

    def decide(self, view: StoreSkuView) -> OrderDecision:
        self._remember(view)
        assert self._usual_daily is not None and self._ran_out is not None
        usual_week = 7.0 * self._usual_daily
        due = (np.arange(view.n) % self.review_every_days) == (view.day % self.review_every_days)
        out = np.asarray(view.on_hand) <= 0
        forgotten = (usual_week < self.forget_below_units_per_week) & ~out
        level = usual_week * self.usual_weeks * np.where(self._ran_out, self.stockout_boost, 1.0)
        raw = np.where(due & ~forgotten, np.ceil(level) - view.position, 0.0)
        units = finish(np.maximum(raw, 0.0), view)
        self._ran_out = np.where(due, False, self._ran_out)  # reviewed: the empty shelf is seen
        self._pending.append(units)
        sent = (
            self._pending.popleft()
            if len(self._pending) > self.response_days
            else np.zeros(view.n, dtype=np.int64)
        )
        terms = {"level": np.ceil(level), "usual_week": np.round(usual_week, 1)}
        return OrderDecision(
            sent,
            terms,
            "staff order {units} = {packs} packs, decided "
            f"{self.response_days} day(s) ago: up to {{level}} (a usual week of {{usual_week}})",
        )
