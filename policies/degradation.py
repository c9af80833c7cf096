"""Degradation modes of the transfer system: what it still does when parts of it fail.

Chains run transfers on several services (forecasts, the data feed, the courier
platform); each fails now and then, and the system steps down rather than stopping:

* level 1, **forecast service down** (system fault, reference rate 0.3 % of days):
  no transfers that rest on the forecast's urgency; only the high-confidence slow-mover
  ones, surplus whose oldest units expire within ``high_confidence_life_days``;
* level 2, **data inconsistency** (2-3 %): the simplified matcher ranks receivers by
  distance and stock ratio alone (``SIMPLE_WEIGHTS``);
* level 3, **courier platform down** (logistics, 1.5 %): a suggestion list for people,
  nothing dispatched.

Each day's faults are drawn from the policy's own named stream of the replication's
seed (``Degradation.reset``); the day's mode is the highest level among its faults.
A late courier (more than ``couriers.late_after_hours``) is the simulator's: it is
re-dispatched there (``sim.couriers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

import numpy as np

from policies.transfers import TransferRules, UrgencyWeights
from sim.errors import ConfigError
from sim.validation import real_value


class Mode(IntEnum):
    NORMAL = 0
    HIGH_CONFIDENCE_ONLY = 1
    SIMPLE_MATCHER = 2
    SUGGEST_ONLY = 3


FAULT_MODES = {
    "forecast_service_down": Mode.HIGH_CONFIDENCE_ONLY,
    "data_inconsistency": Mode.SIMPLE_MATCHER,
    "courier_platform_down": Mode.SUGGEST_ONLY,
}
# the simplified matcher: road distance and the receiver's shortfall (stock ratio) only
SIMPLE_WEIGHTS = UrgencyWeights(
    shelf_life=0.0, demand_match=0.0, logistics=0.5, promotion=0.0, service=0.5
)


@dataclass
class Degradation:
    """Daily fault probabilities and what the modes keep.

    Args:
        forecast_service_down, data_inconsistency, courier_platform_down: the chance a
            day has the fault.
        high_confidence_life_days: in level 1, surplus is offered only where its oldest
            units have at most this many days of life left.
        seed_offset: the faults' stream is ``default_rng([seed, seed_offset])``.
    """

    forecast_service_down: float = 0.003
    data_inconsistency: float = 0.025
    courier_platform_down: float = 0.015
    high_confidence_life_days: int = 1
    seed_offset: int = 0xDE64ADE  # the faults' stream, apart from every other
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in FAULT_MODES:
            real_value(getattr(self, name), f"degradation.{name}", 0.0, 1.0,
                       allowed="a probability in [0, 1]")  # fmt: skip
        days = self.high_confidence_life_days
        if not (isinstance(days, int) and days >= 1):
            raise ConfigError("degradation.high_confidence_life_days", days, "an integer >= 1")
        self.reset(None)

    def reset(self, seed: int | None) -> None:
        self.rng = np.random.default_rng([0 if seed is None else int(seed), self.seed_offset])

    def draw_day(self) -> tuple[Mode, tuple[str, ...]]:
        """Today's mode and faults (one draw per fault kind, in ``FAULT_MODES`` order)."""
        faults = tuple(name for name in FAULT_MODES if self.rng.random() < getattr(self, name))
        mode = max((FAULT_MODES[f] for f in faults), default=Mode.NORMAL)
        return Mode(mode), faults


def simple_matcher(rules: TransferRules) -> TransferRules:
    """The rules' own limits (radius, horizon, safety, share) with distance and stock
    ratio as the only score terms; a learned scorer falls back to the plain rules."""
    plain = TransferRules(
        radius_km=rules.radius_km,
        need_horizon_days=rules.need_horizon_days,
        safety_days=rules.safety_days,
        max_send_share=rules.max_send_share,
        min_units=rules.min_units,
    )
    return replace(plain, weights=SIMPLE_WEIGHTS)
