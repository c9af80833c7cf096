"""Demand models: parametric, replayed and bootstrapped from a sales table.

Every model implements ``DemandSource`` (see ``sim.demand.base``); build one
from a config with ``build_demand``.
"""

from sim.demand.base import DemandSource, ScheduledDemand
from sim.demand.config import DemandKind, build_demand, parametric_spec
from sim.demand.parametric import FACTOR_NAMES, ParametricDemand
from sim.demand.sales_table import (
    BootstrapDemand,
    ReplayDemand,
    SalesTable,
    load_sales_table,
    split_over_ticks,
)
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
