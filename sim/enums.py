"""Enumerations used across the simulator (no string type codes)."""

from __future__ import annotations

from enum import Enum, IntEnum


class Category(IntEnum):
    """Product category; drives shelf life, demand profiles and alert thresholds."""

    LEAFY_VEGETABLES = 0
    FRUIT = 1
    DAIRY = 2
    PREPARED_MEALS = 3
    BAKERY = 4
    AMBIENT = 5

    @classmethod
    def parse(cls, value: str | int | Category) -> Category:
        """Parse a category from its name (case-insensitive) or value.

        Raises:
            ValueError: naming the bad value and the allowed names.
        """
        if isinstance(value, Category):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        allowed = ", ".join(m.name.lower() for m in cls)
        raise ValueError(f"unknown category {value!r}; allowed: {allowed}")


class IssuingRule(Enum):
    """Which units customers take first."""

    FIFO = "fifo"  # oldest first (staff rotate stock)
    LIFO = "lifo"  # freshest first (customers pick from the back)
    MIXED = "mixed"  # a share `fresh_first_share` of each batch is LIFO, the rest FIFO

    @classmethod
    def parse(
        cls, value: str | IssuingRule, allowed: tuple[IssuingRule, ...] | None = None
    ) -> IssuingRule:
        """Parse a rule by name (case-insensitive), limited to ``allowed`` if given.

        Raises:
            ValueError: naming the bad value and the allowed names.
        """
        allowed = allowed or tuple(cls)
        for rule in allowed:
            if value is rule or (isinstance(value, str) and value.lower() == rule.value):
                return rule
        raise ValueError(
            f"unknown issuing rule {value!r}; allowed: {', '.join(r.value for r in allowed)}"
        )


class DemandDistribution(Enum):
    POISSON = "poisson"
    NEGATIVE_BINOMIAL = "negative_binomial"
    GAMMA = "gamma"  # Gamma(mean, cv) rounded to the nearest integer, clipped to [0, max]


class DcReplenishmentBasis(Enum):
    """What a DC's standing rule buys on (``DcSpec.replenishment_basis``)."""

    EXPECTED_DEMAND = "expected_demand"  # push: its stores' expected demand (the oracle)
    STORE_ORDERS = "store_orders"  # pull: what its stores order (owed now + a smoothed rate)


class LeadTimeDistribution(Enum):
    FIXED = "fixed"  # always `mean_days`
    SHIFTED_POISSON = "shifted_poisson"  # min_days + Poisson(mean_days - min_days)
    UNIFORM = "uniform"  # integer uniform on [min_days, max_days]


class Stream(IntEnum):
    """Named random streams. The integer is part of the seed derivation: never renumber."""

    DEMAND = 1
    WEATHER = 2
    LEAD_TIME = 3
    SUPPLY = 4
    COURIER = 5
    DAMAGE = 6
    SUBSTITUTION = 7
    BOOTSTRAP = 8


class EventKind(Enum):
    """Kinds of events recorded in the trace."""

    DAY_END = "day_end"
    SERVE = "serve"
    RESTOCK = "restock"
    STORE_ORDER = "store_order"
    DC_DISPATCH = "dc_dispatch"
    TRUCK_ARRIVAL = "truck_arrival"
    SUPPLIER_ORDER = "supplier_order"
    SUPPLIER_ARRIVAL = "supplier_arrival"
    TRANSFER_REQUEST = "transfer_request"
    COURIER_NO_SHOW = "courier_no_show"
    COURIER_PICKUP = "courier_pickup"
    COURIER_DELIVERY = "courier_delivery"
    # steps of the systems around the simulator, noted by a driver (``Simulation.note``)
    TRANSFER_ALERT = "transfer_alert"
    TRANSFER_MATCH = "transfer_match"
    TRANSFER_OPTIONS = "transfer_options"
    MANAGER_DECISION = "manager_decision"
    STOCK_OUT = "stock_out"
