"""Slow-mover detection and tiered alerts.

Criteria a chain uses, each with per-category thresholds (from config):

1. time on shelf: the store-SKU's average stock age is over ``age_ratio``
   (1.5) × its category's average;
2. sell-through in a window below the category's threshold (leafy vegetables
   40 % of stock in 1 day, fruit 60 % in 2 days, prepared meals 70 % of
   forecast over a promotion, others 30 % in 7 days);
3. weekly sales down by ``weekly_drop`` (40 %) or more while the oldest stock
   is older than ``old_age_days`` (90 days);
4. a new item under ``new_item_sell_through`` (30 %) after ``new_item_days`` (15) days;
5. ``decline_weeks`` (3) weeks in a row of sales falling by more than
   ``decline_rate`` (15 %);
6. with ``abc`` set: stock covering more days of forecast demand than the item's ABC
   class's turnover standard (45 / 90 / 180 days for A / B / C by default; classes
   within each store, ``policies.abc_classification``).

Tiers, with the configured response:

* **red** → clearance: perishable stock that will expire unsold within a day,
  or three or more criteria;
* **orange** → transfer: other perishable surplus, or two criteria;
* **yellow** → markdown: one criterion;
* **blue** → expedited replenishment: stock plus arrivals cover less than the
  lead time's demand (stock-out risk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from policies.abc_classification import AbcPolicy, as_abc_policy
from sim.enums import Category
from sim.errors import ConfigError


class Tier(IntEnum):
    """Alert tier; a higher value is more severe (blue = stock-out risk)."""

    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4


class Response(IntEnum):
    NONE = 0
    EXPEDITE = 1
    MARKDOWN = 2
    TRANSFER = 3
    CLEARANCE = 4


@dataclass(frozen=True)
class SellThroughRule:
    """Sell-through below ``threshold`` over ``window_days`` flags a slow mover.

    ``of_forecast``: measure sold / forecast over the window (promotions) instead of
    sold / (stock at the window start + received).
    """

    threshold: float = 0.3
    window_days: int = 7
    of_forecast: bool = False


DEFAULT_SELL_THROUGH = {
    Category.LEAFY_VEGETABLES: SellThroughRule(0.40, 1),
    Category.FRUIT: SellThroughRule(0.60, 2),
    Category.PREPARED_MEALS: SellThroughRule(0.70, 3, of_forecast=True),
}


@dataclass(frozen=True)
class AlertThresholds:
    age_ratio: float = 1.5
    sell_through: dict[Category, SellThroughRule] = field(
        default_factory=lambda: dict(DEFAULT_SELL_THROUGH)
    )
    default_sell_through: SellThroughRule = field(default_factory=SellThroughRule)
    weekly_drop: float = 0.40
    old_age_days: float = 90.0
    new_item_days: int = 15
    new_item_sell_through: float = 0.30
    decline_weeks: int = 3
    decline_rate: float = 0.15
    abc: AbcPolicy | None = None
    responses: dict[Tier, Response] = field(
        default_factory=lambda: {
            Tier.YELLOW: Response.MARKDOWN,
            Tier.ORANGE: Response.TRANSFER,
            Tier.RED: Response.CLEARANCE,
            Tier.BLUE: Response.EXPEDITE,
        }
    )

    def __post_init__(self) -> None:
        for name in ("age_ratio", "weekly_drop", "new_item_sell_through", "decline_rate"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"alerts.{name}", getattr(self, name), "a number > 0")
        object.__setattr__(self, "abc", as_abc_policy(self.abc, "alerts.abc"))

    def rule_for(self, category: int) -> SellThroughRule:
        return self.sell_through.get(Category(int(category)), self.default_sell_through)


@dataclass(frozen=True)
class AlertInputs:
    """Per store-SKU arrays [n] (weekly arrays [weeks, n], oldest first).

    Attributes:
        category: ``Category`` values.
        avg_age_days: on-hand-weighted average age of the stock.
        oldest_age_days: age of the oldest unit on hand.
        daily_sold, daily_received, daily_opening: [days, n] history, oldest first.
        daily_forecast: [days, n] forecasts made for those days.
        weekly_sales: [weeks, n], oldest first.
        days_since_launch: days since the item was first stocked.
        doomed_units: units that will expire unsold (FIFO, at the forecast).
        doomed_within_1d: of those, units with one day of life left.
        cover_units: on hand + arriving within the lead time.
        lead_time_demand: forecast demand over the lead time.
        on_hand_units, forecast_daily, abc_class: what the turnover standard reads
            (``AlertThresholds.abc``; None without it).
    """

    category: np.ndarray
    avg_age_days: np.ndarray
    oldest_age_days: np.ndarray
    daily_sold: np.ndarray
    daily_received: np.ndarray
    daily_opening: np.ndarray
    daily_forecast: np.ndarray
    weekly_sales: np.ndarray
    days_since_launch: np.ndarray
    doomed_units: np.ndarray
    doomed_within_1d: np.ndarray
    cover_units: np.ndarray
    lead_time_demand: np.ndarray
    on_hand_units: np.ndarray | None = None
    forecast_daily: np.ndarray | None = None
    abc_class: np.ndarray | None = None


@dataclass(frozen=True)
class Alerts:
    """Per store-SKU: the tier, the response and which criteria fired."""

    tier: np.ndarray  # [n] int8 Tier values
    response: np.ndarray  # [n] int8 Response values
    criteria: dict[str, np.ndarray]  # name -> [n] bool

    def reasons(self, i: int) -> list[str]:
        return [name for name, fired in self.criteria.items() if fired[i]]


def _sell_through(x: AlertInputs, rule: SellThroughRule, cols: np.ndarray) -> np.ndarray:
    w = rule.window_days
    if x.daily_sold.shape[0] < w:
        return np.ones(len(cols))  # judge a window only once the history covers it
    sold = x.daily_sold[-w:, cols].sum(axis=0)
    if rule.of_forecast:
        return sold / np.maximum(x.daily_forecast[-w:, cols].sum(axis=0), 1e-9)
    available = x.daily_opening[-w, cols] + x.daily_received[-w:, cols].sum(axis=0)
    return np.where(available > 0, sold / np.maximum(available, 1e-9), 1.0)


def evaluate_alerts(x: AlertInputs, t: AlertThresholds | None = None) -> Alerts:
    """Criteria, tiers and responses for every store-SKU."""
    t = t or AlertThresholds()
    n = len(x.category)
    crit: dict[str, np.ndarray] = {}
    cat_avg = np.zeros(n)
    for cat in np.unique(x.category):  # one step per category, vectorised over its store-SKUs
        cols = x.category == cat
        cat_avg[cols] = x.avg_age_days[cols].mean()
    crit["time_on_shelf"] = x.avg_age_days > t.age_ratio * np.maximum(cat_avg, 1e-9)
    slow = np.zeros(n, dtype=bool)
    for cat in np.unique(x.category):
        cols = np.flatnonzero(x.category == cat)
        rule = t.rule_for(cat)
        slow[cols] = _sell_through(x, rule, cols) < rule.threshold
    crit["low_sell_through"] = slow
    ws = x.weekly_sales
    if ws.shape[0] >= 2:
        drop = (ws[-2] - ws[-1]) / np.maximum(ws[-2], 1e-9)
        crit["weekly_drop_old_stock"] = (drop >= t.weekly_drop) & (
            x.oldest_age_days > t.old_age_days
        )
    else:
        crit["weekly_drop_old_stock"] = np.zeros(n, dtype=bool)
    launch = t.new_item_days
    new_sold = x.daily_sold[-launch:].sum(axis=0) if x.daily_sold.shape[0] else np.zeros(n)
    new_avail = (
        x.daily_opening[-launch] + x.daily_received[-launch:].sum(axis=0)
        if x.daily_sold.shape[0] >= launch
        else np.ones(n)
    )
    crit["new_item_slow"] = (
        (x.days_since_launch >= launch)
        & (x.days_since_launch < launch + 7)
        & (new_sold < t.new_item_sell_through * np.maximum(new_avail, 1e-9))
    )
    k = t.decline_weeks
    if ws.shape[0] >= k + 1:
        falls = (ws[1:] < (1 - t.decline_rate) * ws[:-1])[-k:]
        crit["sustained_decline"] = falls.all(axis=0)
    else:
        crit["sustained_decline"] = np.zeros(n, dtype=bool)
    if t.abc is not None:
        if x.abc_class is None or x.on_hand_units is None or x.forecast_daily is None:
            raise ValueError("alerts.abc: the inputs need on_hand_units, forecast_daily, abc_class")
        crit["over_turnover_standard"] = t.abc.over_turnover_standard(
            x.on_hand_units, x.forecast_daily, x.abc_class
        )

    count = np.sum(list(crit.values()), axis=0)
    tier = np.full(n, Tier.NONE, dtype=np.int8)
    tier[x.cover_units < x.lead_time_demand] = Tier.BLUE
    tier[count == 1] = Tier.YELLOW
    tier[(count == 2) | (x.doomed_units > 0)] = Tier.ORANGE
    tier[(count >= 3) | (x.doomed_within_1d > 0)] = Tier.RED
    table = np.array([t.responses.get(v, Response.NONE) for v in Tier], dtype=np.int8)
    return Alerts(tier=tier, response=table[tier], criteria=crit)
