"""A chain cut into regions: one DC and the stores it serves, simulated on its own.

Regions share no stock: a store orders only from its DC, and a courier only
serves stores of one city, so a region's flows never leave it. What a region
shares with the rest of the chain is configuration (SKUs, suppliers, the
courier pool's parameters) and random numbers; ``region_network`` and
``region_demand`` cut the first, exactly (every store keeps its parameters, its
demand rates, promotions and events).

Random numbers are cut too: in a chain of several regions each region draws
from its own streams (``NetworkSpec.regional_streams``, ``RandomStreams.for_region``,
keyed by the DC's id), and a cut region keeps them. So a region simulated on its
own, under the same seed and the same decisions, runs exactly as it ran inside
the chain, and ``merge_counters`` puts the regions' counters back into the
chain's: the KPIs computed from them are the chain run's (unit counts and per
store-SKU money exactly; the network's money sums up to the order of addition).

One thing can couple regions: a courier pool shared by the chain. With
``couriers.per_region: true`` each region has its own ``size`` couriers (a
courier serves one city) and regions are independent; with one pool for the
chain, a region's transfers wait for couriers busy elsewhere, so regions
simulated apart differ from the chain run whenever the pool binds
(``region_pool_refusal`` names it).

The point is memory and parallelism: a region of ``liqun_chain`` (up to 36
stores × 100,000 SKUs) simulates in a fraction of the chain's memory, and
regions run side by side (processes or Ray tasks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace

import numpy as np

from sim.demand.spec import ParametricDemandSpec
from sim.errors import ConfigError
from sim.kpis import TOTALS, chain_kpis
from sim.ledger import Counters, NetworkCounters, PairFlow
from sim.spec import NetworkSpec, StoreSkuSpec

# the network counters every region counts alike (the same clock), not summed
_SHARED_CLOCK = ("days", "period_start_hours")


def region_stores(network: NetworkSpec, dc: int) -> np.ndarray:
    """[n] int64: indices of the stores DC ``dc`` serves, in the chain's order."""
    if not 0 <= dc < network.n_dcs:
        raise ConfigError("region", dc, f"a DC index in 0..{network.n_dcs - 1}")
    return network.dc_store_rows()[dc]


def served_regions(network: NetworkSpec) -> list[int]:
    """The DCs that serve at least one store (a region each), in index order."""
    return sorted({s.dc for s in network.stores})


def region_pool_refusal(network: NetworkSpec) -> ConfigError | None:
    """The error to raise before simulating ``network``'s regions apart, or None: a
    courier pool shared by the chain couples them."""
    if network.couriers is None or network.couriers.per_region:
        return None
    return ConfigError(
        "couriers.per_region",
        False,
        f"true to simulate the regions of {network.name} apart (its one courier pool "
        "couples them); e.g. scenario.network.couriers.per_region=true",
    )


def region_network(network: NetworkSpec, dc: int) -> NetworkSpec:
    """The network of DC ``dc`` and its stores; ``name`` becomes ``<name>/<dc_id>``.

    Store ``i`` of the region is ``region_stores(network, dc)[i]`` of the chain,
    with every parameter as it was (the DC index becomes 0, the only DC).

    Raises:
        ConfigError: ``dc`` is not a DC of the network, or it serves no store.
    """
    rows = region_stores(network, dc)
    dc_spec = network.dcs[dc]
    if rows.size == 0:
        raise ConfigError("region", dc_spec.dc_id, "a DC that serves at least one store")
    ss = network.store_sku
    store_sku = StoreSkuSpec(
        shelf_capacity_units=ss.shelf_capacity_units[rows],
        facings_units=ss.facings_units[rows],
        blocked=ss.blocked[rows],
        initial_on_hand=ss.initial_on_hand[rows],
        initial_age_days=ss.initial_age_days[rows],
        recent_sales_units=ss.recent_sales_units[rows],
    )
    transit = {
        new: dc_spec.transit_hours[int(old)]
        for new, old in enumerate(rows)
        if int(old) in dc_spec.transit_hours
    }
    return replace(
        network,
        name=f"{network.name}/{dc_spec.dc_id}",
        region_of=network.region_of or network.name,
        stores=tuple(replace(network.stores[int(i)], dc=0) for i in rows),
        dcs=(replace(dc_spec, transit_hours=transit),),
        store_sku=store_sku,
        dc_initial_on_hand=network.dc_initial_on_hand[dc : dc + 1],
    )


def region_demand(spec: ParametricDemandSpec, rows: np.ndarray) -> ParametricDemandSpec:
    """``spec`` for the stores ``rows`` of the chain (renumbered 0..n-1 in that order).

    Promotions and events keep their days, SKUs and factors; their store lists
    keep the region's stores (one that lists none of them is dropped; "all
    stores" stays all).
    """
    rows = np.asarray(rows, dtype=np.int64)
    new_index = np.full(spec.base_rate_units_per_day.shape[0], -1, dtype=np.int64)
    new_index[rows] = np.arange(rows.size)

    def remap(index: np.ndarray) -> np.ndarray:
        mapped = new_index[index]
        return mapped[mapped >= 0]

    promotions = []
    for promo in spec.promotions:
        if promo.store_index is None:
            promotions.append(promo)
        elif (kept := remap(promo.store_index)).size:
            promotions.append(replace(promo, store_index=kept))
    events = [
        replace(event, store_index=kept)
        for event in spec.events
        if (kept := remap(event.store_index)).size
    ]
    return replace(
        spec,
        base_rate_units_per_day=spec.base_rate_units_per_day[rows],
        promotions=tuple(promotions),
        events=tuple(events),
    )


def merge_counters(chain: NetworkSpec, regions: Sequence[tuple[int, Counters]]) -> Counters:
    """The chain's counters of a reporting period from its regions' counters.

    Args:
        chain: the network the regions were cut from.
        regions: (DC index in ``chain``, that region's counters), every served
            region once, all of the same reporting period.

    Raises:
        ValueError: a region missing or given twice, or periods that differ.
    """
    _check_regions(chain, [dc for dc, _ in regions])
    merged = Counters.zeros(chain.n_stores, chain.n_dcs, chain.n_skus)
    for dc, part in regions:
        rows = region_stores(chain, dc)
        for f in fields(merged.store):
            getattr(merged.store, f.name)[rows] = getattr(part.store, f.name)
        for f in fields(merged.dc):
            getattr(merged.dc, f.name)[dc] = getattr(part.dc, f.name)[0]
    merged.network = merge_network(
        [(region_stores(chain, dc), part.network) for dc, part in regions]
    )
    return merged


def merge_network(regions: Sequence[tuple[np.ndarray, NetworkCounters]]) -> NetworkCounters:
    """The chain's network counters from its regions' (chain rows of the region's
    stores, its counters): flows added, courier flows renumbered to chain stores, the
    clock (``days``, ``period_start_hours``) checked equal.

    Raises:
        ValueError: counters of different reporting periods.
    """
    network = NetworkCounters()
    clock = {name: getattr(regions[0][1], name) for name in _SHARED_CLOCK}
    for rows, part in regions:
        for f in fields(NetworkCounters):
            value = getattr(part, f.name)
            if f.name in _SHARED_CLOCK:
                if value != clock[f.name]:
                    raise ValueError(
                        f"regions: {f.name} {value} != {clock[f.name]}; allowed: counters "
                        "of one reporting period"
                    )
            elif f.name == "transfer_flows":
                for (origin, destination), units in value.items():
                    key = (int(rows[origin]), int(rows[destination]))
                    network.transfer_flows[key] = network.transfer_flows.get(key, 0) + units
            elif f.name == "transfer_pairs":
                for (origin, destination), flow in value.items():
                    key = (int(rows[origin]), int(rows[destination]))
                    network.transfer_pairs[key] = network.transfer_pairs.get(key, PairFlow()) + flow
            else:
                setattr(network, f.name, getattr(network, f.name) + value)
    for name, value in clock.items():
        setattr(network, name, value)
    return network


def merge_chain_kpis(
    chain: NetworkSpec,
    regions: Sequence[tuple[int, dict[str, float], NetworkCounters]],
    period_hours: float,
) -> dict[str, float]:
    """The chain level of the KPIs (``KpiReport.chain``) from each region's (DC index,
    ``KpiReport.totals``, network counters) of one reporting period: unit counts as
    the chain run's exactly, money up to the order of addition.

    Raises:
        ValueError: a region missing or given twice, or different periods.
    """
    _check_regions(chain, [dc for dc, _, _ in regions])
    totals = {name: sum(t[name] for _, t, _ in regions) for name in TOTALS}
    network = merge_network([(region_stores(chain, dc), net) for dc, _, net in regions])
    return chain_kpis(totals, network, period_hours, chain.courier_count())


def _check_regions(chain: NetworkSpec, given: list[int]) -> None:
    if sorted(given) != served_regions(chain):
        raise ValueError(
            f"regions: got DCs {sorted(given)}; allowed: each region of {chain.name} once "
            f"({served_regions(chain)})"
        )
