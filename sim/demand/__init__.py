"""Demand models: parametric, replayed and bootstrapped from a sales table.

Every model implements ``DemandSource`` (see ``sim.demand.base``); build one
from a config with ``build_demand``.
"""

from sim.demand.base import DemandSource, ScheduledDemand
from sim.demand.config import DemandKind, build_demand, parametric_spec
from sim.demand.parametric import FACTOR_NAMES, ParametricDemand
from sim.demand.spec import (
    BadRowPolicy,
    CategoryProfile,
    Holiday,
    Lifecycle,
    LifecycleStage,
    LocalEvent,
    ParametricDemandSpec,
    Promotion,
    TickGrid,
    WeatherSpec,
    build_tick_grid,
)
from sim.demand.weather import WeatherModel

# The sales-table models need pandas (60 MB resident); they load on first use so
# a simulation of parametric demand (every Ray worker) does not carry it.
_SALES_TABLE_NAMES = frozenset(
    {"BootstrapDemand", "ReplayDemand", "SalesTable", "load_sales_table", "split_over_ticks"}
)


def __getattr__(name: str) -> object:
    if name in _SALES_TABLE_NAMES:
        from sim.demand import sales_table

        return getattr(sales_table, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FACTOR_NAMES",
    "BadRowPolicy",
    "BootstrapDemand",
    "CategoryProfile",
    "DemandKind",
    "DemandSource",
    "Holiday",
    "Lifecycle",
    "LifecycleStage",
    "LocalEvent",
    "ParametricDemand",
    "ParametricDemandSpec",
    "Promotion",
    "ReplayDemand",
    "SalesTable",
    "ScheduledDemand",
    "TickGrid",
    "WeatherModel",
    "WeatherSpec",
    "build_demand",
    "build_tick_grid",
    "load_sales_table",
    "parametric_spec",
    "split_over_ticks",
]
