"""KPIs with the names used everywhere (ctx, MLflow, reports, serving).

Definitions over the reporting period (since the start or ``reset_kpis``):

* ``fill_rate`` = units sold / units demanded (1.0 when nothing was demanded).
* ``stockout_rate`` = store-SKU-days with lost demand / store-SKU-days (blocked
  store-SKUs excluded at store and chain level).
* ``lost_sales`` = units of demand lost; ``lost_sales_value`` at regular price.
* ``inventory_turnover`` = annualised cost of goods sold / average inventory at
  cost (inventory sampled at each day end). NaN when there was no inventory.
* ``days_of_inventory`` = average inventory at cost / cost of goods sold per day.
* ``waste_rate`` = units expired / units received, where the opening stock of
  the period counts as received. At stores, received = truck deliveries
  accepted + transfers in; chain-wide, expired anywhere (stores and DCs) /
  (opening stock everywhere + units that entered the network from suppliers or
  unlimited sources). ``waste_value`` = expired units at unit cost.
* ``sell_through_rate`` = units sold / (opening stock + units received).
* ``slow_moving_share`` = share of ranged store-SKUs that had stock and whose
  sell-through over the period is below the threshold (0.3 by default).
* ``revenue`` = units sold at the price paid (markdowns included).
* ``profit`` = revenue − ``cost_of_goods_sold`` − ``waste_value`` −
  ``damaged_value`` − ``holding_cost`` − ``disposal_cost`` (store-SKU level);
  chain-wide also − DC holding and waste − ``truck_cost`` − ``courier_cost``.
* ``transfers_*``: courier trips, units, cost, km and CO2 (kg).
* ``order_response_hours``: unit-weighted mean time from a store order to the
  truck delivery that brought it.
* ``courier_utilisation`` = courier busy hours / (couriers × period hours), couriers
  counted in every region's pool with ``couriers.per_region``.
* ``profit_per_day`` = ``profit`` / ``period_days``.

Single-item periodic systems (``PerishableInventory-v0``) report per period:
``avg_cost_per_period`` and its terms ``avg_order_cost_per_period``,
``avg_lost_sales_cost_per_period``, ``avg_waste_cost_per_period``,
``avg_holding_cost_per_period``, with ``fill_rate`` and the unit counts.

Every metric a run logs to MLflow or TensorBoard that reports a KPI, the KPI rows of a
report and the KPI keys of ``experiments.evaluate``'s and ``experiments.train``'s JSON lines
are named ``[<scope>/]<kpi>[.<statistic>]`` (``eval/profit_per_day``, ``profit.ci_low``,
``vs_reference/profit.ci_high``): ``kpi_of_metric`` reads the KPI back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from sim.ledger import Counters, NetworkCounters
    from sim.spec import NetworkSpec

STORE_SKU_KPIS = (
    "fill_rate",
    "stockout_rate",
    "lost_sales",
    "inventory_turnover",
    "days_of_inventory",
    "waste_rate",
    "waste_value",
    "sell_through_rate",
    "revenue",
    "profit",
)


# the chain-level KPIs, as compute_kpis names them (KpiReport.chain's keys)
CHAIN_KPIS = (
    "fill_rate", "stockout_rate", "lost_sales", "inventory_turnover", "days_of_inventory",
    "waste_rate", "waste_value", "sell_through_rate", "revenue", "profit", "profit_per_day",
    "slow_moving_share", "lost_sales_value", "cost_of_goods_sold", "holding_cost",
    "disposal_cost", "damaged_value", "truck_cost", "courier_cost", "transfers_count",
    "transfers_units", "transfers_km", "transfers_co2_kg", "transfers_no_shows",
    "transfers_late_redispatches", "order_response_hours", "courier_utilisation",
    "demand_units", "sold_units", "wasted_units", "damaged_units", "received_units",
    "period_days",
)  # fmt: skip
PERIOD_KPIS = (
    "avg_cost_per_period",
    "avg_order_cost_per_period",
    "avg_lost_sales_cost_per_period",
    "avg_waste_cost_per_period",
    "avg_holding_cost_per_period",
    "fill_rate",
    "demand_units",
    "sold_units",
    "wasted_units",
)
KPI_NAMES = frozenset(CHAIN_KPIS) | frozenset(PERIOD_KPIS)
# statistics of a KPI over replications, seeds or a search's population
STATISTICS = frozenset({"mean", "ci_low", "ci_high", "ci_half", "best", "best_so_far"})


def kpi_of_metric(name: str) -> str | None:
    """The KPI a metric named ``[<scope>/]<kpi>[.<statistic>]`` reports, or None when the
    metric is not a KPI (a run's timesteps, a win share, a search's step size)."""
    kpi, _, statistic = name.rsplit("/", 1)[-1].partition(".")
    if statistic and statistic not in STATISTICS:
        return None
    return kpi if kpi in KPI_NAMES else None


def _ratio(num: np.ndarray | float, den: np.ndarray | float, empty: float) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class KpiReport:
    """KPIs at three levels.

    Attributes:
        chain: name -> value for the whole network.
        per_store: name -> [stores] array.
        per_store_sku: name -> [stores, skus] array; None unless asked for
            (``Simulation.kpis(store_sku=True)``): on a 1 M store-SKU chain the
            level holds 160 MB that the chain and store levels do not need.
        store_ids, sku_ids: labels of the axes.
        totals: the sums behind the chain level (``TOTALS``), which regions add up.
        period_hours: the reporting period's length.
    """

    chain: dict[str, float]
    per_store: dict[str, np.ndarray]
    per_store_sku: dict[str, np.ndarray] | None
    store_ids: tuple[str, ...]
    sku_ids: tuple[str, ...]
    totals: dict[str, float] = field(default_factory=dict)
    period_hours: float = 0.0

    def store_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.per_store, index=pd.Index(self.store_ids, name="store"))

    def store_sku_frame(self) -> pd.DataFrame:
        import pandas as pd

        if self.per_store_sku is None:
            raise ValueError(
                "per_store_sku: got None; allowed: a report computed with "
                "kpis(store_sku=True), which keeps the store-SKU level"
            )

        index = pd.MultiIndex.from_product([self.store_ids, self.sku_ids], names=["store", "sku"])
        return pd.DataFrame({k: v.ravel() for k, v in self.per_store_sku.items()}, index=index)


def _level(
    *,
    demand: np.ndarray,
    sold: np.ndarray,
    lost: np.ndarray,
    stockout_days: np.ndarray,
    store_sku_days: np.ndarray,
    cogs: np.ndarray,
    inventory_cost_days: np.ndarray,
    wasted: np.ndarray,
    received: np.ndarray,
    waste_value: np.ndarray,
    opening: np.ndarray,
    revenue: np.ndarray,
    profit: np.ndarray,
    days_sampled: int,
    period_days: float,
) -> dict[str, np.ndarray]:
    avg_inventory_cost = inventory_cost_days / max(days_sampled, 1)
    cogs_per_day = cogs / max(period_days, 1e-9)
    return {
        "fill_rate": _ratio(sold, demand, 1.0),
        "stockout_rate": _ratio(stockout_days, store_sku_days, 0.0),
        "lost_sales": np.asarray(lost, dtype=np.float64),
        "inventory_turnover": _ratio(cogs_per_day * 365.0, avg_inventory_cost, np.nan),
        "days_of_inventory": _ratio(avg_inventory_cost, cogs_per_day, np.nan),
        "waste_rate": _ratio(wasted, opening + received, 0.0),
        "waste_value": np.asarray(waste_value, dtype=np.float64),
        "sell_through_rate": _ratio(sold, opening + received, 0.0),
        "revenue": np.asarray(revenue, dtype=np.float64),
        "profit": np.asarray(profit, dtype=np.float64),
    }


# The sums behind every chain KPI. A region's totals add up to the chain's: unit counts
# exactly, money up to the order of addition.
TOTALS = (
    "demand", "sold", "lost", "stockout_days", "store_sku_days_ranged", "cogs",
    "store_inventory_cost_days", "dc_inventory_cost_days", "store_wasted", "dc_wasted",
    "dc_received", "store_waste_value", "dc_waste_value", "store_opening", "dc_opening",
    "revenue", "store_profit", "dc_holding", "dc_disposal", "store_received", "slow",
    "stocked", "lost_sales_value", "store_holding", "store_disposal", "damaged_value",
    "damaged",
)  # fmt: skip


def chain_totals(
    spec: NetworkSpec,
    counters: Counters,
    money: dict[str, np.ndarray],
    *,
    slow: np.ndarray,
    stocked: np.ndarray,
) -> dict[str, float]:
    """The ``TOTALS`` of a reporting period.

    Args:
        money: the store-SKU money ``compute_kpis`` has already computed, [stores, skus]
            each: ``cogs``, ``waste_value``, ``damaged_value``, ``disposal``, ``profit``
            and ``inventory_cost_days`` (summed here, not computed again).
        slow, stocked: [stores, skus] bool slow movers and stocked store-SKUs.
    """
    skus = spec.skus
    s, d = counters.store, counters.dc
    ranged = ~spec.store_sku.blocked
    cost = skus.unit_cost[None, :]
    disposal = skus.disposal_cost_per_unit[None, :]
    return {
        "demand": s.demand_units.sum(),
        "sold": s.sold_units.sum(),
        "lost": s.lost_units.sum(),
        "stockout_days": (s.stockout_days * ranged).sum(),
        "store_sku_days_ranged": ranged.sum() * counters.network.days,
        "cogs": money["cogs"].sum(),
        "store_inventory_cost_days": money["inventory_cost_days"].sum(),
        "dc_inventory_cost_days": (d.inventory_unit_days * cost).sum(),
        "store_wasted": s.wasted_units.sum(),
        "dc_wasted": d.wasted_units.sum(),
        "dc_received": float(d.received_units.sum()),
        "store_waste_value": money["waste_value"].sum(),
        "dc_waste_value": float((d.wasted_units * cost).sum()),
        "store_opening": s.opening_units.sum(),
        "dc_opening": d.opening_units.sum(),
        "revenue": s.revenue.sum(),
        "store_profit": float(money["profit"].sum()),
        "dc_holding": float(d.holding_cost.sum()),
        "dc_disposal": float((d.wasted_units * disposal).sum()),
        "store_received": s.received_units.sum(),
        "slow": slow.sum(),
        "stocked": stocked.sum(),
        "lost_sales_value": float((s.lost_units * skus.price[None, :]).sum()),
        "store_holding": float(s.holding_cost.sum()),
        "store_disposal": float(money["disposal"].sum()),
        "damaged_value": float(money["damaged_value"].sum()),
        "damaged": s.damaged_units.sum(),
    }


def chain_kpis(
    totals: dict[str, float], network: NetworkCounters, period_hours: float, couriers: int
) -> dict[str, float]:
    """The chain's KPIs from its ``TOTALS``, its network counters, the length of the
    period and the size of the courier pool."""
    t, net = totals, network
    period_days = period_hours / 24.0
    chain_profit = (
        t["store_profit"]
        - t["dc_holding"]
        - t["dc_waste_value"]
        - t["dc_disposal"]
        - net.truck_cost
        - net.courier_cost
    )
    total = _level(
        demand=t["demand"], sold=t["sold"], lost=t["lost"], stockout_days=t["stockout_days"],
        store_sku_days=t["store_sku_days_ranged"], cogs=t["cogs"],
        inventory_cost_days=t["store_inventory_cost_days"] + t["dc_inventory_cost_days"],
        wasted=t["store_wasted"] + t["dc_wasted"], received=t["dc_received"],
        waste_value=t["store_waste_value"] + t["dc_waste_value"],
        opening=t["store_opening"] + t["dc_opening"], revenue=t["revenue"], profit=chain_profit,
        days_sampled=net.days, period_days=period_days,
    )  # fmt: skip
    # sell-through chain-wide is measured at the stores (what customers can buy)
    total["sell_through_rate"] = _ratio(t["sold"], t["store_opening"] + t["store_received"], 0.0)
    chain = {k: float(v) for k, v in total.items()}
    chain.update(
        slow_moving_share=float(_ratio(t["slow"], t["stocked"], 0.0)),
        lost_sales_value=float(t["lost_sales_value"]),
        cost_of_goods_sold=float(t["cogs"]),
        holding_cost=t["store_holding"] + t["dc_holding"],
        disposal_cost=t["store_disposal"] + t["dc_disposal"],
        damaged_value=float(t["damaged_value"]),
        truck_cost=net.truck_cost,
        courier_cost=net.courier_cost,
        transfers_count=float(net.courier_trips),
        transfers_units=float(net.courier_units),
        transfers_km=net.courier_km,
        transfers_co2_kg=net.courier_co2_kg,
        transfers_no_shows=float(net.courier_no_shows),
        transfers_late_redispatches=float(net.courier_late_redispatches),
        order_response_hours=float(
            _ratio(net.order_response_unit_hours, net.order_response_units, np.nan)
        ),
        courier_utilisation=float(_ratio(net.courier_busy_hours, couriers * period_hours, 0.0)),
        demand_units=float(t["demand"]),
        sold_units=float(t["sold"]),
        wasted_units=float(t["store_wasted"] + t["dc_wasted"]),
        damaged_units=float(t["damaged"]),
        received_units=float(t["store_received"]),
        period_days=period_days,
        profit_per_day=float(chain_profit / period_days) if period_days > 0 else float("nan"),
    )
    return chain


def compute_kpis(
    spec: NetworkSpec,
    counters: Counters,
    now_hours: float,
    *,
    slow_mover_threshold: float = 0.3,
    store_sku: bool = False,
) -> KpiReport:
    """The KPIs of ``counters`` (a reporting period of ``spec`` that ends at ``now_hours``).

    The chain level goes through ``chain_totals`` and ``chain_kpis``, the store level
    is per store: so regions simulated apart (``sim.shard``) give the chain's KPIs
    from their totals added up and their stores side by side.
    """
    skus = spec.skus
    c = counters
    s, net = c.store, c.network
    period_hours = max(now_hours - net.period_start_hours, 0.0)
    period_days = period_hours / 24.0
    days_sampled = net.days
    ranged = ~spec.store_sku.blocked
    cost = skus.unit_cost[None, :]
    cogs = s.sold_units * cost
    waste_value = s.wasted_units * cost
    damaged_value = s.damaged_units * cost
    disposal = (s.wasted_units + s.damaged_units) * skus.disposal_cost_per_unit[None, :]
    profit = s.revenue - cogs - waste_value - damaged_value - s.holding_cost - disposal
    inv_cost_days = s.inventory_unit_days * cost

    common = dict(days_sampled=days_sampled, period_days=period_days)
    sell_through = _ratio(s.sold_units, s.opening_units + s.received_units, 0.0)
    per_sku: dict[str, np.ndarray] | None = None
    if store_sku:
        per_sku = _level(
            demand=s.demand_units, sold=s.sold_units, lost=s.lost_units,
            stockout_days=s.stockout_days, store_sku_days=np.full(s.sold_units.shape, days_sampled),
            cogs=cogs, inventory_cost_days=inv_cost_days, wasted=s.wasted_units,
            received=s.received_units, waste_value=waste_value, opening=s.opening_units,
            revenue=s.revenue, profit=profit, **common,
        )  # fmt: skip
        per_sku["lost_sales_value"] = s.lost_units * skus.price[None, :]
        per_sku["cost_of_goods_sold"] = cogs
        per_sku["holding_cost"] = s.holding_cost.copy()
        per_sku["disposal_cost"] = disposal
        per_sku["damaged_value"] = damaged_value

    def by_store(a: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return (a * mask).sum(axis=1) if mask is not None else a.sum(axis=1)

    per_store = _level(
        demand=by_store(s.demand_units), sold=by_store(s.sold_units), lost=by_store(s.lost_units),
        stockout_days=by_store(s.stockout_days, ranged),
        store_sku_days=ranged.sum(axis=1) * days_sampled,
        cogs=by_store(cogs), inventory_cost_days=by_store(inv_cost_days),
        wasted=by_store(s.wasted_units), received=by_store(s.received_units),
        waste_value=by_store(waste_value), opening=by_store(s.opening_units),
        revenue=by_store(s.revenue), profit=by_store(profit), **common,
    )  # fmt: skip
    per_store["transfer_in_units"] = by_store(s.transfer_in_units).astype(np.float64)
    per_store["transfer_out_units"] = by_store(s.transfer_out_units).astype(np.float64)
    stocked = ranged & ((s.opening_units + s.received_units) > 0)
    slow = stocked & (sell_through < slow_mover_threshold)
    per_store["slow_moving_share"] = _ratio(slow.sum(axis=1), stocked.sum(axis=1), 0.0)

    money = {
        "cogs": cogs,
        "waste_value": waste_value,
        "damaged_value": damaged_value,
        "disposal": disposal,
        "profit": profit,
        "inventory_cost_days": inv_cost_days,
    }
    totals = chain_totals(spec, counters, money, slow=slow, stocked=stocked)
    chain = chain_kpis(totals, net, period_hours, spec.courier_count())
    return KpiReport(
        chain=chain,
        per_store=per_store,
        per_store_sku=per_sku,
        store_ids=tuple(st.store_id for st in spec.stores),
        sku_ids=skus.ids,
        totals=totals,
        period_hours=period_hours,
    )
