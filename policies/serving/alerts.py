"""Alerts from one day's state (no history): stock-out risk, expiring and aged stock.

The tiers are those of ``policies.alerts.evaluate_alerts`` given the state the
request carries and no history. Without sales history only the criteria that
need none can fire: time on shelf (against the average of the same category
among the rows sent), stock that will expire unsold at the forecast (orange;
red within a day) and stock-out risk (blue: on hand + arrivals below the lead
time's demand). The history-based slow-mover criteria need the simulator's or
the chain's history and are evaluated in the lab
(``policies.composite.TieredAlertsPolicy``).

``state_alerts`` computes only what can fire without history (a test compares
it with ``evaluate_alerts`` on random states): a request is served in a few
milliseconds, and building the full ``AlertInputs`` (stock by remaining life,
empty history arrays) cost about as much as the policy itself.
"""

from __future__ import annotations

import numpy as np

from policies.alerts import Alerts, AlertThresholds, Response, Tier
from policies.serving.catalog import Catalog
from policies.serving.state import StateRows
from sim.store_sku import life_left_by_age

NO_HISTORY_DAYS_SINCE_LAUNCH = 10_000  # an established item: the new-item criterion is off
_DEFAULTS = AlertThresholds()


def average_age(rows: StateRows) -> np.ndarray:
    """[n] float64 the mean age of each row's stock (0 without stock).

    Exact: whole units, so the weighted sum is the same in any order.
    """
    stock = rows.stock_held  # [n, ages held] units by age (older ages hold none)
    on_hand = rows.on_hand
    ages = np.arange(stock.shape[1], dtype=np.float64)
    return np.where(on_hand > 0, (stock @ ages) / np.maximum(on_hand, 1), 0.0)


def category_mean_age(category: np.ndarray, avg_age: np.ndarray) -> dict[int, float]:
    """Category -> the mean of ``average_age`` over its rows (pairwise, in row order: the
    same to the last bit as ``evaluate_alerts``), the time-on-shelf reference."""
    groups = _Groups(category)
    means = groups.mean(avg_age)
    return {key: float(means[groups.order[start]]) for key, (start, _) in
            zip(groups.keys, groups.bounds, strict=True)}  # fmt: skip


def state_alerts(
    rows: StateRows,
    catalog: Catalog,
    thresholds: AlertThresholds | None = None,
    *,
    mean_age: dict[int, float] | None = None,
) -> Alerts:
    """Tier and response per row, as ``evaluate_alerts`` with the state and no history.

    Args:
        mean_age: category -> mean stock age over the whole chain's state
            (``category_mean_age``), when ``rows`` are a batch of it; default: of ``rows``.
    """
    t = thresholds or _DEFAULTS
    n = rows.n
    stock = rows.stock_held  # [n, ages held] units by age (older ages hold none)
    on_hand = rows.on_hand
    avg_age = average_age(rows)
    category = catalog["category"][rows.sku]
    groups = _Groups(category)
    if mean_age is None:
        reference = groups.mean(avg_age)
    else:
        missing = sorted(set(groups.keys) - set(mean_age))
        if missing:
            raise ValueError(f"mean_age: no mean for categories {missing}; allowed: every one")
        lookup = np.zeros(int(category.max(initial=0)) + 1)
        for key, value in mean_age.items():
            if key < lookup.size:
                lookup[key] = value
        reference = lookup[category]
    # without history every sell-through counts as 1 (a window is judged once history covers it)
    slow = [c for c in groups.keys if 1.0 < t.rule_for(c).threshold]
    crit = {
        "time_on_shelf": avg_age > t.age_ratio * np.maximum(reference, 1e-9),
        "low_sell_through": groups.member_of(slow),
        "weekly_drop_old_stock": np.zeros(n, dtype=bool),  # needs two weeks of sales
        "new_item_slow": np.full(n, _new_item_slow_without_history(t)),
        "sustained_decline": np.zeros(n, dtype=bool),  # needs weeks of sales
    }
    count = crit["time_on_shelf"] + crit["low_sell_through"].astype(np.int8)
    count += int(crit["new_item_slow"][0])
    if t.abc is not None:  # the turnover standard of each row's class within its store
        classes = t.abc.classes(rows.forecast, catalog["price"][rows.sku], rows.store)
        crit["over_turnover_standard"] = t.abc.over_turnover_standard(
            on_hand, rows.forecast, classes
        )
        count += crit["over_turnover_standard"]

    life = catalog["shelf_life_days"][rows.sku].astype(np.int64)
    doomed, doomed_1d = _doomed(stock, life, rows.forecast, rows.on_hand_by_age.shape[1])
    tier = np.zeros(n, dtype=np.int8)  # Tier.NONE
    tier[on_hand + rows.arriving_1d < rows.forecast * rows.lead_time_days] = Tier.BLUE
    tier[count == 1] = Tier.YELLOW
    tier[(count == 2) | doomed] = Tier.ORANGE
    tier[(count >= 3) | doomed_1d] = Tier.RED
    responses = _DEFAULT_RESPONSES if t is _DEFAULTS else _responses(t)
    return Alerts(tier=tier, response=responses[tier], criteria=crit)


def _responses(t: AlertThresholds) -> np.ndarray:
    """[tiers] int8: the configured response of each tier."""
    return np.array([t.responses.get(v, Response.NONE) for v in Tier], dtype=np.int8)


_DEFAULT_RESPONSES = _responses(_DEFAULTS)


class _Groups:
    """The rows of each category, in row order (one stable sort)."""

    def __init__(self, category: np.ndarray) -> None:
        self.order = np.argsort(category, kind="stable")
        ordered = category[self.order]
        cuts = (np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist()
        self.bounds = list(zip([0, *cuts], [*cuts, len(ordered)], strict=True))
        self.keys = ordered[[start for start, _ in self.bounds]].tolist()

    def mean(self, values: np.ndarray) -> np.ndarray:
        """[n] the mean of ``values`` over the rows of each row's category.

        Each mean is the pairwise sum of the category's rows in row order divided
        by their count, as ``ndarray.mean`` in ``evaluate_alerts``: the same to the last bit.
        """
        grouped = values[self.order]
        means = np.empty(len(grouped))
        for start, end in self.bounds:
            means[start:end] = np.add.reduce(grouped[start:end]) / (end - start)
        out = np.empty(len(grouped))
        out[self.order] = means
        return out

    def member_of(self, keys: list[int]) -> np.ndarray:
        """[n] bool: the row's category is one of ``keys``."""
        out = np.zeros(len(self.order), dtype=bool)
        for key, (start, end) in zip(self.keys, self.bounds, strict=True):
            if key in keys:
                out[self.order[start:end]] = True
        return out


def _new_item_slow_without_history(t: AlertThresholds) -> bool:
    """The new-item criterion with no sales and nothing available on record."""
    days, launch = NO_HISTORY_DAYS_SINCE_LAUNCH, t.new_item_days
    return bool(launch <= days < launch + 7 and 0.0 < t.new_item_sell_through)


def _doomed(
    stock: np.ndarray, life: np.ndarray, forecast: np.ndarray, n_ages: int
) -> tuple[np.ndarray, np.ndarray]:
    """[n] bool: whole units will expire unsold at the forecast (FIFO), and within a day.

    With ``C_r`` the units with at most ``r`` days of life left and ``f`` the
    forecast, the units doomed are ``floor(max_r (C_r - f r))`` (r = 1 ... n_ages),
    those within a day ``floor(C_1 - f)``, as in ``evaluate_alerts``. Stock of
    age ``a`` has ``life - a`` days left, so ``C_r`` is the stock at ages
    ``>= life - r``: a sum from the oldest age (expired stock is refused, so ages
    past the shelf life hold none). ``stock`` may leave out older ages that hold
    nothing: there ``C_r - f r <= 0``. Non-perishables never expire. Works on
    ``[ages, n]`` arrays, so the maximum over ages is a vector operation.
    """
    n, width = stock.shape
    if width == 0:
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    # [width, n]: units at ages >= a (exact: whole units)
    oldest_first = np.tri(width, dtype=np.float64).T @ stock.T
    days_left = life_left_by_age(life, width).T  # r for the stock of age a (0: never expires)
    counted = (days_left >= 1) & (days_left <= n_ages)  # the r = 1 ... n_ages of evaluate_alerts
    unsold = np.where(counted, oldest_first - forecast[None, :] * days_left, 0.0)
    doomed = (life > 0) & (np.maximum.reduce(unsold, axis=0) >= 1.0)
    one_left = life - 1  # the age with one day left
    seen = (one_left >= 0) & (one_left < width) & (life <= n_ages)
    at = oldest_first[np.clip(one_left, 0, width - 1), np.arange(n)]
    return doomed, seen & (at - forecast >= 1.0)
