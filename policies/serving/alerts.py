"""Alerts from one day's state (no history): stock-out risk, expiring and aged stock.

Uses ``policies.alerts.evaluate_alerts`` with the state the request carries.
Without sales history only the criteria that need none can fire: time on
shelf (against the average of the same category among the rows sent),
stock that will expire unsold at the forecast (orange; red within a day) and
stock-out risk (blue: on hand + arrivals below the lead time's demand). The
history-based slow-mover criteria need the simulator's or the chain's history
and are evaluated in the lab (``policies.composite.TieredAlertsPolicy``).
"""

from __future__ import annotations

import numpy as np

from policies.alerts import AlertInputs, Alerts, AlertThresholds, evaluate_alerts
from policies.serving.catalog import Catalog
from policies.serving.state import StateRows
from policies.view import on_hand_by_remaining_life


def state_alerts(
    rows: StateRows, catalog: Catalog, thresholds: AlertThresholds | None = None
) -> Alerts:
    n = rows.n
    stock = rows.on_hand_by_age
    on_hand = rows.on_hand
    ages = np.arange(stock.shape[1])
    avg_age = np.where(on_hand > 0, (stock * ages).sum(axis=1) / np.maximum(on_hand, 1), 0.0)
    oldest = np.where(on_hand > 0, stock.shape[1] - 1 - np.argmax((stock > 0)[:, ::-1], axis=1), 0)
    life = catalog["shelf_life_days"][rows.sku].astype(np.int64)
    by_life = on_hand_by_remaining_life(stock, life)
    r = np.arange(1, by_life.shape[1] + 1)[None, :]
    unsold = np.maximum(np.cumsum(by_life, axis=1) - rows.forecast[:, None] * r, 0.0)
    perishable = life > 0
    empty = np.zeros((0, n))
    x = AlertInputs(
        category=catalog["category"][rows.sku],
        avg_age_days=avg_age,
        oldest_age_days=oldest.astype(np.float64),
        daily_sold=empty,
        daily_received=empty,
        daily_opening=empty,
        daily_forecast=empty,
        weekly_sales=empty,
        days_since_launch=np.full(n, 10_000),
        doomed_units=np.where(perishable, np.floor(unsold.max(axis=1)), 0.0),
        doomed_within_1d=np.where(perishable, np.floor(unsold[:, 0]), 0.0),
        cover_units=on_hand + rows.arriving_1d,
        lead_time_demand=rows.forecast * rows.lead_time_days,
    )
    return evaluate_alerts(x, thresholds)
