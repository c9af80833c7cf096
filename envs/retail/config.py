"""What a retail environment controls and how it is paced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Flag, auto

from sim.errors import ConfigError


class Control(Flag):
    """Decisions the agent makes; the rest is run by standing rules."""

    STORE_ORDERS = auto()  # store orders to the DC, in case packs
    DC_ORDERS = auto()  # DC orders to suppliers, in supplier packs
    TRANSFERS = auto()  # release / request intents routed by the matcher

    @classmethod
    def parse(cls, value: object) -> Control:
        """A ``Control``, or names as configs write them: ``"TRANSFERS"``,
        ``"STORE_ORDERS|TRANSFERS"`` or a list of names (case-insensitive)."""
        if isinstance(value, cls):
            return value
        names = value.split("|") if isinstance(value, str) else value
        if not isinstance(names, list | tuple) or not names:
            raise ConfigError("controls", value, f"names of {[c.name for c in cls]} joined by |")
        out = cls(0)
        for name in names:
            key = str(name).strip().upper()
            if key not in cls.__members__:
                raise ConfigError("controls", name, f"one of {list(cls.__members__)}")
            out |= cls[key]
        return out


@dataclass(frozen=True)
class RetailEnvConfig:
    """Arguments shared by the store, transfer and network environments.

    Attributes:
        scenario: a shipped scenario name (``configs/network`` + ``configs/demand``).
        overrides: Hydra overrides for the scenario, e.g. ``("network.couriers.size=8",)``.
        stores: store ids the env acts for (None = all). Other stores follow the
            baseline order-up-to rule.
        controls: what the agent decides.
        decision_hour: hour of the daily ordering decision.
        transfer_hours: hours of the day at which the env steps when it controls
            transfers (the ordering decision happens at the step at ``decision_hour``,
            which must be one of them).
        max_order_packs: most case packs per store-SKU order (action 0..max).
        max_dc_order_packs: most supplier packs per DC-SKU order.
        max_transfer_units: most units a store-SKU may release or request per step.
        transfer_radius_km: the matcher only pairs stores within this road distance.
        baseline_cover_days: cover of the order-up-to rule for what the agent does
            not control (and for stores outside ``stores``).
        stockout_penalty_per_unit: goodwill cost per lost unit in the reward (0 =
            pure profit).
        dc_autopilot: keep the DCs' standing rule from the scenario (forced off
            when the agent controls DC orders).
        warmup_days: days run under the baseline before the first observation.
    """

    scenario: str = "city_fresh"
    overrides: tuple[str, ...] = ()
    stores: tuple[str, ...] | None = None
    controls: Control = Control.STORE_ORDERS
    decision_hour: float = 9.0
    transfer_hours: tuple[float, ...] = (9.0, 13.0, 17.0)
    max_order_packs: int = 8
    max_dc_order_packs: int = 50
    max_transfer_units: int = 10
    transfer_radius_km: float = 5.0
    baseline_cover_days: float = 2.0
    stockout_penalty_per_unit: float = 0.0
    dc_autopilot: bool = True
    warmup_days: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "controls", Control.parse(self.controls))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        if self.stores is not None:
            object.__setattr__(self, "stores", tuple(self.stores))
        checks = (
            ("decision_hour", 0 <= self.decision_hour < 24, "an hour in [0, 24)"),
            ("max_order_packs", self.max_order_packs >= 1, "an integer >= 1"),
            ("max_dc_order_packs", self.max_dc_order_packs >= 1, "an integer >= 1"),
            ("max_transfer_units", self.max_transfer_units >= 1, "an integer >= 1"),
            ("transfer_radius_km", self.transfer_radius_km > 0, "a number > 0"),
            ("baseline_cover_days", self.baseline_cover_days >= 0, "a number >= 0"),
            ("stockout_penalty_per_unit", self.stockout_penalty_per_unit >= 0, "a number >= 0"),
            ("warmup_days", self.warmup_days >= 0, "an integer >= 0"),
        )
        for name, ok, allowed in checks:
            if not ok:
                raise ConfigError(name, getattr(self, name), allowed)
        if Control.TRANSFERS in self.controls:
            hours = self.transfer_hours
            if (
                not hours
                or sorted(set(hours)) != list(hours)
                or not all(0 <= h < 24 for h in hours)
            ):
                raise ConfigError("transfer_hours", hours, "increasing distinct hours in [0, 24)")
            if self.decision_hour not in hours:
                raise ConfigError(
                    "decision_hour", self.decision_hour, f"one of transfer_hours {hours}"
                )

    def step_hours(self) -> Sequence[float]:
        """Hours of the day at which the env steps."""
        return self.transfer_hours if Control.TRANSFERS in self.controls else (self.decision_hour,)
