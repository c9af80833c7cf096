"""Who gains from a transfer: revenue sharing between stores and the carbon account.

The simulator's store P&L (``sim.kpis``) charges a unit's cost to the store that sells
it, so a transferred unit sold at the receiver carries its cost there and nothing at
the donor, which only avoids its waste. Chains settle transfers between stores (often
franchisees) by terms like:

* the donor receives the units' cost × (1 + ``donor_cost_markup``) plus
  ``donor_margin_share`` of their margin at the receiver;
* the receiver keeps the margin less the donor's share, pays the logistics (the
  pair's courier trips) and the platform fee, ``platform_fee_share`` of the units'
  value at list price.

``settle`` turns a period's courier flows per store pair (``sim.ledger.PairFlow``) into
adjustments of each store's P&L: the donor gains ``cost × markup + share × margin``
(its cost is reimbursed; the simulator never charged it), the receiver loses that plus
the fee and the logistics. The adjustments sum to minus (fees + logistics): money only
moves between stores, except what leaves the chain. The delivered units are taken as
sold at list price (the planners send only what fills a need); markdowns and units that
still expire at the receiver are not separated.

``carbon`` gives each transfer's trip emissions and the emissions of the waste it
avoided (the units would have expired at the donor: the planners send only surplus).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.errors import ConfigError
from sim.ledger import PairFlow
from sim.validation import real_value

Pair = tuple[int, int]


def _share(name: str, value: float) -> None:
    real_value(value, name, 0.0, 1.0, allowed="a number in [0, 1]")


@dataclass(frozen=True)
class SettlementTerms:
    """How a transfer is paid between stores (defaults: the reference chain's terms).

    Attributes:
        donor_cost_markup: the donor is paid the units' cost × (1 + this).
        donor_margin_share: share of the units' margin at the receiver paid to the donor.
        platform_fee_share: the platform's fee, a share of the units' value at list price,
            paid by the receiver.
    """

    donor_cost_markup: float = 0.05
    donor_margin_share: float = 0.30
    platform_fee_share: float = 0.015

    def __post_init__(self) -> None:
        _share("settlement.donor_cost_markup", self.donor_cost_markup)
        _share("settlement.donor_margin_share", self.donor_margin_share)
        _share("settlement.platform_fee_share", self.platform_fee_share)


@dataclass(frozen=True)
class CarbonTerms:
    """The carbon account of transfers.

    Attributes:
        unit_weight_kg: mass of one unit (the catalogue has no per-SKU mass yet).
        waste_co2e_kg_per_kg: emissions of one kg of food that is produced and thrown
            away (about 2.5 kg CO2e per kg is a common average for food waste).
    """

    unit_weight_kg: float = 0.4
    waste_co2e_kg_per_kg: float = 2.5

    def __post_init__(self) -> None:
        for name in ("unit_weight_kg", "waste_co2e_kg_per_kg"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0.0 <= value < 1e6):
                raise ConfigError(f"carbon.{name}", value, "a number in [0, 1e6)")


def settle(
    pairs: Mapping[Pair, PairFlow], n_stores: int, terms: SettlementTerms
) -> dict[str, np.ndarray]:
    """[stores] arrays: ``donor_income`` (paid to the store as a donor, over its cost as
    the simulator counts it), ``receiver_payment`` (the same paid as a receiver),
    ``platform_fee``, ``logistics`` and ``net`` = income − payment − fee − logistics, the
    adjustment of the store's simulated profit."""
    out = {
        k: np.zeros(n_stores)
        for k in ("donor_income", "receiver_payment", "platform_fee", "logistics")
    }
    for (origin, destination), flow in sorted(pairs.items()):
        margin = flow.value_at_price - flow.value_at_cost
        to_donor = flow.value_at_cost * terms.donor_cost_markup + margin * terms.donor_margin_share
        out["donor_income"][origin] += to_donor
        out["receiver_payment"][destination] += to_donor
        out["platform_fee"][destination] += flow.value_at_price * terms.platform_fee_share
        out["logistics"][destination] += flow.courier_cost
    out["net"] = (
        out["donor_income"] - out["receiver_payment"] - out["platform_fee"] - out["logistics"]
    )
    return out


def carbon(
    pairs: Mapping[Pair, PairFlow], n_stores: int, terms: CarbonTerms
) -> tuple[dict[Pair, dict[str, float]], dict[str, np.ndarray]]:
    """Per transfer pair and per store (as donor: its surplus and its trips):
    ``trip_co2_kg``, ``waste_avoided_co2e_kg`` and ``net_co2e_kg`` = avoided − trips
    (positive: the transfers saved emissions)."""
    kg_per_unit = terms.unit_weight_kg * terms.waste_co2e_kg_per_kg
    per_pair: dict[Pair, dict[str, float]] = {}
    per_store = {
        k: np.zeros(n_stores) for k in ("trip_co2_kg", "waste_avoided_co2e_kg", "net_co2e_kg")
    }
    for (origin, destination), flow in sorted(pairs.items()):
        avoided = flow.units * kg_per_unit
        row = {
            "units": float(flow.units),
            "trip_co2_kg": flow.co2_kg,
            "waste_avoided_co2e_kg": avoided,
            "net_co2e_kg": avoided - flow.co2_kg,
        }
        per_pair[origin, destination] = row
        for key in per_store:
            per_store[key][origin] += row[key]
    return per_pair, per_store
