"""Counters of every flow in the network, and the conservation check.

Every unit that enters the network (starting stock, supplier receipts, picks
from an unlimited external source) is, at any time, exactly one of: on hand
(by node and age), in transit (truck or courier), sold, wasted, damaged.
``Counters`` accumulates the flows since the start of a reporting period; the
engine checks the balance with ``assert_conserved``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import ConservationError

if TYPE_CHECKING:
    import pandas as pd

    from sim.spec import NetworkSpec
    from sim.state import NetworkState


def _zeros(shape: tuple[int, ...], dtype: type = np.int64) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


@dataclass
class StoreSkuCounters:
    """Flows per (store, SKU) over the reporting period. All [stores, skus]."""

    demand_units: np.ndarray
    sold_units: np.ndarray
    lost_units: np.ndarray
    received_units: np.ndarray  # truck deliveries accepted (after damage) + transfers in
    delivered_units: np.ndarray  # truck deliveries before damage
    transfer_in_units: np.ndarray
    transfer_out_units: np.ndarray
    wasted_units: np.ndarray
    damaged_units: np.ndarray
    stockout_days: np.ndarray  # days with lost demand
    inventory_unit_days: np.ndarray  # sum over day ends of units on hand
    revenue: np.ndarray
    holding_cost: np.ndarray
    opening_units: np.ndarray  # on hand at the start of the period

    @classmethod
    def zeros(cls, n_stores: int, n_skus: int) -> StoreSkuCounters:
        shape = (n_stores, n_skus)
        money = {"revenue", "holding_cost"}
        return cls(
            **{
                f.name: _zeros(shape, np.float64 if f.name in money else np.int64)
                for f in fields(cls)
            }
        )


@dataclass
class DcCounters:
    """Flows per (DC, SKU). All [dcs, skus]."""

    received_units: np.ndarray  # from suppliers, or picked from an unlimited source
    shipped_units: np.ndarray
    wasted_units: np.ndarray
    inventory_unit_days: np.ndarray
    holding_cost: np.ndarray
    cancelled_store_order_units: np.ndarray  # unfilled and not backordered
    supplier_ordered_units: np.ndarray
    supplier_shortfall_units: np.ndarray  # cut by the supplier's fill rate
    moq_raised_units: np.ndarray
    case_pack_rounded_units: np.ndarray
    opening_units: np.ndarray

    @classmethod
    def zeros(cls, n_dcs: int, n_skus: int) -> DcCounters:
        shape = (n_dcs, n_skus)
        return cls(
            **{
                f.name: _zeros(shape, np.float64 if f.name == "holding_cost" else np.int64)
                for f in fields(cls)
            }
        )


@dataclass
class PairFlow:
    """Courier flows of one (origin, destination) store pair in a reporting period: what
    revenue sharing (``sim.settlement``) and the carbon account of transfers read.

    Attributes:
        units: units delivered.
        trips: trips picked up (a trip that found nothing still counts and costs).
        km: loaded road km.
        courier_cost: per-trip and per-km tariff paid.
        co2_kg: the trips' emissions (km × the pool's ``co2_kg_per_km``).
        value_at_cost, value_at_price: the delivered units × unit cost, × list price.
    """

    units: int = 0
    trips: int = 0
    km: float = 0.0
    courier_cost: float = 0.0
    co2_kg: float = 0.0
    value_at_cost: float = 0.0
    value_at_price: float = 0.0

    def __add__(self, other: PairFlow) -> PairFlow:
        return PairFlow(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass
class NetworkCounters:
    """Scalar flows of the whole network."""

    days: int = 0
    truck_trips: int = 0
    truck_cost: float = 0.0
    courier_trips: int = 0
    courier_no_shows: int = 0
    courier_late_redispatches: int = 0  # couriers given up on after late_after_hours
    courier_units: int = 0
    courier_short_pick_units: int = 0  # requested but no longer on hand at pickup
    transfer_capped_units: int = 0  # requested beyond the origin's stock at the request
    courier_km: float = 0.0
    courier_cost: float = 0.0
    courier_co2_kg: float = 0.0
    courier_busy_hours: float = 0.0
    transfer_response_hours_sum: float = 0.0
    order_response_unit_hours: float = 0.0  # sum of (arrival - order time) x units
    order_response_units: int = 0
    blocked_order_units: int = 0  # store orders refused because the SKU is blocked
    store_case_pack_rounded_units: int = 0
    period_start_hours: float = 0.0
    # units delivered by courier per (origin store, destination store)
    transfer_flows: dict[tuple[int, int], int] = field(default_factory=dict)
    # the same pairs' trips, km, cost, CO2 and value (PairFlow)
    transfer_pairs: dict[tuple[int, int], PairFlow] = field(default_factory=dict)


@dataclass
class Counters:
    """All counters of one reporting period."""

    store: StoreSkuCounters
    dc: DcCounters
    network: NetworkCounters = field(default_factory=NetworkCounters)

    @classmethod
    def zeros(cls, n_stores: int, n_dcs: int, n_skus: int) -> Counters:
        return cls(StoreSkuCounters.zeros(n_stores, n_skus), DcCounters.zeros(n_dcs, n_skus))

    def read_only(self) -> Counters:
        """A view for drivers: arrays are read-only views (they move on with the run);
        the network's scalars are copied as they are now."""

        def views(group: Any) -> Any:
            out = {}
            for f in fields(group):
                view = getattr(group, f.name).view()
                view.flags.writeable = False
                out[f.name] = view
            return type(group)(**out)

        net = replace(
            self.network,
            transfer_flows=dict(self.network.transfer_flows),
            transfer_pairs={k: replace(v) for k, v in self.network.transfer_pairs.items()},
        )
        return Counters(views(self.store), views(self.dc), net)


@dataclass
class UnitBalance:
    """Cumulative totals since t=0 used by the conservation check (never reset)."""

    entered: int = 0  # starting stock + supplier receipts + unlimited picks
    sold: int = 0
    wasted: int = 0
    damaged: int = 0

    def assert_conserved(self, on_hand: int, in_transit: int) -> None:
        """Raise ConservationError unless entered = on hand + in transit + sold + wasted
        + damaged."""
        accounted = on_hand + in_transit + self.sold + self.wasted + self.damaged
        if accounted != self.entered:
            raise ConservationError(
                f"units entered {self.entered} != on hand {on_hand} + in transit {in_transit}"
                f" + sold {self.sold} + wasted {self.wasted} + damaged {self.damaged}"
                f" (difference {accounted - self.entered})"
            )


def ledger_frame(spec: NetworkSpec, counters: Counters, st: NetworkState) -> pd.DataFrame:
    """Per-node ledger of the reporting period (see ``Simulation.ledger``)."""
    import pandas as pd

    s, d = counters.store, counters.dc
    zeros_st = np.zeros(spec.n_stores, dtype=np.int64)
    zeros_dc = np.zeros(spec.n_dcs, dtype=np.int64)
    stores = pd.DataFrame(
        {
            "node": [x.store_id for x in spec.stores],
            "kind": "store",
            "opening": s.opening_units.sum(axis=1),
            "delivered": s.delivered_units.sum(axis=1),
            "transfer_in": s.transfer_in_units.sum(axis=1),
            "received_from_supplier": zeros_st,
            "transfer_out": s.transfer_out_units.sum(axis=1),
            "shipped": zeros_st,
            "sold": s.sold_units.sum(axis=1),
            "wasted": s.wasted_units.sum(axis=1),
            "damaged": s.damaged_units.sum(axis=1),
            "closing": st.store_on_hand().sum(axis=1),
        }
    )
    unlimited = np.array([x.unlimited_stock for x in spec.dcs], dtype=bool)
    dcs = pd.DataFrame(
        {
            "node": [x.dc_id for x in spec.dcs],
            "kind": np.where(unlimited, "external", "dc"),
            "opening": d.opening_units.sum(axis=1),
            "delivered": zeros_dc,
            "transfer_in": zeros_dc,
            "received_from_supplier": d.received_units.sum(axis=1),
            "transfer_out": zeros_dc,
            "shipped": d.shipped_units.sum(axis=1),
            "sold": zeros_dc,
            "wasted": d.wasted_units.sum(axis=1),
            "damaged": zeros_dc,
            "closing": st.dc_on_hand().sum(axis=1),
        }
    )
    frame = pd.concat([stores, dcs], ignore_index=True)
    inflow = frame.opening + frame.delivered + frame.transfer_in + frame.received_from_supplier
    outflow = frame.transfer_out + frame.shipped + frame.sold + frame.wasted + frame.damaged
    frame["balanced"] = (inflow - outflow) == frame.closing
    return frame
