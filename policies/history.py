"""A rolling daily history of store-SKU flows, read from the simulator once a day.

It keeps what alert criteria and forecasters need: units sold, received and on
hand at the start of each day, the forecast made for the day, and the day an
item was first stocked. Arrays are [days, stores, skus], oldest first,
bounded to ``max_days``.
"""

from __future__ import annotations

import numpy as np

from sim.engine import Simulation


class DailyHistory:
    """Args:
    max_days: how many days to keep (28 covers four weekly windows).
    """

    def __init__(self, max_days: int = 28) -> None:
        self.max_days = max_days
        self.sold: list[np.ndarray] = []
        self.received: list[np.ndarray] = []
        self.opening: list[np.ndarray] = []
        self.forecast: list[np.ndarray] = []
        self.first_stocked_day: np.ndarray | None = None
        self._last_totals: tuple[np.ndarray, np.ndarray] | None = None
        self._day = -1
        self._opening_today: np.ndarray | None = None

    def record(self, sim: Simulation, forecast_today: np.ndarray) -> None:
        """Call once a day at the decision time: closes yesterday's row, opens today's."""
        if sim.day == self._day:
            return
        c = sim.counters_view().store
        totals = (c.sold_units.copy(), c.received_units.copy())
        if self._last_totals is not None and self._opening_today is not None:
            self._append(
                totals[0] - self._last_totals[0],
                totals[1] - self._last_totals[1],
                self._opening_today,
                self._forecast_today,
            )
        on_hand = sim.snapshot().store_on_hand.copy()
        if self.first_stocked_day is None:
            self.first_stocked_day = np.where(on_hand > 0, sim.day, -1)
        else:
            self.first_stocked_day = np.where(
                (self.first_stocked_day < 0) & (on_hand > 0), sim.day, self.first_stocked_day
            )
        self._last_totals = totals
        self._opening_today = on_hand
        self._forecast_today = np.asarray(forecast_today, dtype=np.float64).copy()
        self._day = sim.day

    def _append(self, sold, received, opening, forecast) -> None:
        for series, value in (
            (self.sold, sold),
            (self.received, received),
            (self.opening, opening),
            (self.forecast, forecast),
        ):
            series.append(value)
            if len(series) > self.max_days:
                series.pop(0)

    @property
    def days(self) -> int:
        return len(self.sold)

    def array(self, name: str) -> np.ndarray:
        """[days, stores, skus] of ``sold``, ``received``, ``opening`` or ``forecast``."""
        series = getattr(self, name)
        return np.stack(series) if series else np.zeros((0, 0, 0))

    def weekly_sales(self) -> np.ndarray:
        """[weeks, stores, skus] complete weeks of sales, oldest first (most recent 7 days last)."""
        sold = self.array("sold")
        weeks = sold.shape[0] // 7
        if weeks == 0:
            return sold[:0].sum(axis=0, keepdims=True)[:0]
        recent = sold[sold.shape[0] - 7 * weeks :]
        return recent.reshape(weeks, 7, *recent.shape[1:]).sum(axis=1)
