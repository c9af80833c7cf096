"""Revenue sharing and the carbon account of transfers: hand-computed cases, the money
that only moves between stores, the simulator's pair flows adding up to its totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine import Simulation
from sim.errors import ConfigError
from sim.ledger import PairFlow
from sim.scenario import build_demand_source, load_scenario
from sim.settlement import CarbonTerms, SettlementTerms, carbon, settle


def test_a_transfer_is_settled_as_the_terms_say():
    """10 units costing 2 and priced 3 from store 0 to store 1, one trip costing 5:
    the donor gets 20 x 0.05 + 30 % of the 10 margin = 4; the receiver pays that, the
    courier (5) and 1.5 % of the 30 value (0.45)."""
    pairs = {(0, 1): PairFlow(units=10, trips=1, km=2.0, courier_cost=5.0, co2_kg=0.24,
                              value_at_cost=20.0, value_at_price=30.0)}  # fmt: skip
    out = settle(pairs, 3, SettlementTerms())
    np.testing.assert_allclose(out["donor_income"], [4.0, 0.0, 0.0])
    np.testing.assert_allclose(out["receiver_payment"], [0.0, 4.0, 0.0])
    np.testing.assert_allclose(out["platform_fee"], [0.0, 0.45, 0.0])
    np.testing.assert_allclose(out["logistics"], [0.0, 5.0, 0.0])
    np.testing.assert_allclose(out["net"], [4.0, -9.45, 0.0])


def test_the_carbon_account_of_a_transfer():
    """10 units of 0.4 kg at 2.5 kg CO2e per kg wasted: 10 kg avoided; the trip 0.24 kg."""
    pairs = {(0, 1): PairFlow(units=10, trips=1, km=2.0, co2_kg=0.24)}
    per_pair, per_store = carbon(pairs, 2, CarbonTerms())
    assert per_pair[0, 1] == pytest.approx(
        {"units": 10.0, "trip_co2_kg": 0.24, "waste_avoided_co2e_kg": 10.0, "net_co2e_kg": 9.76}
    )
    np.testing.assert_allclose(per_store["net_co2e_kg"], [9.76, 0.0])  # the donor's


flows = st.builds(
    PairFlow,
    units=st.integers(0, 500),
    trips=st.integers(0, 5),
    km=st.floats(0, 20),
    courier_cost=st.floats(0, 50),
    co2_kg=st.floats(0, 5),
    value_at_cost=st.floats(0, 1_000),
    value_at_price=st.floats(0, 2_000),
)


@given(
    pairs=st.dictionaries(
        st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda p: p[0] != p[1]), flows,
        max_size=12,
    ),
    markup=st.floats(0, 1),
    share=st.floats(0, 1),
    fee=st.floats(0, 1),
)  # fmt: skip
def test_settlement_moves_money_between_stores_except_fees_and_couriers(pairs, markup, share, fee):
    out = settle(pairs, 5, SettlementTerms(markup, share, fee))
    assert out["donor_income"].sum() == pytest.approx(out["receiver_payment"].sum())
    leaves = out["platform_fee"].sum() + out["logistics"].sum()
    assert out["net"].sum() == pytest.approx(-leaves, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"donor_cost_markup": -0.1}, "settlement.donor_cost_markup"),
     ({"donor_margin_share": 1.5}, "settlement.donor_margin_share"),
     ({"platform_fee_share": float("nan")}, "settlement.platform_fee_share")],
)  # fmt: skip
def test_bad_settlement_terms_are_refused_by_name(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field}: got .*; allowed: a number in \[0, 1\]"):
        SettlementTerms(**kwargs)
    with pytest.raises(ConfigError, match=r"^carbon.unit_weight_kg: got -1"):
        CarbonTerms(unit_weight_kg=-1)


def test_the_pair_flows_add_up_to_the_courier_totals():
    """city_fresh under the transfer rules: per pair units, trips, km, cost and CO2 sum to
    the network's totals, and the pairs' value at cost to the stores' received units."""
    from policies.composite import TransferRulesPolicy
    from policies.heuristics import BaseStock
    from policies.runner import run_rule
    from policies.transfers import TransferRules

    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=5)
    run_rule(sim, TransferRulesPolicy(BaseStock(z=0.5), TransferRules()), days=6)
    counters = sim.counters_view()
    net, pairs = counters.network, counters.network.transfer_pairs
    assert sum(f.units for f in pairs.values()) == net.courier_units > 0
    assert {k: f.units for k, f in pairs.items() if f.units} == net.transfer_flows
    assert sum(f.trips for f in pairs.values()) == net.courier_trips
    assert sum(f.km for f in pairs.values()) == pytest.approx(net.courier_km)
    assert sum(f.courier_cost for f in pairs.values()) == pytest.approx(net.courier_cost)
    assert sum(f.co2_kg for f in pairs.values()) == pytest.approx(net.courier_co2_kg)
    received = counters.store.transfer_in_units.sum(axis=0)
    skus = scenario.network.skus
    assert sum(f.value_at_cost for f in pairs.values()) == pytest.approx(received @ skus.unit_cost)
    assert sum(f.value_at_price for f in pairs.values()) == pytest.approx(received @ skus.price)
