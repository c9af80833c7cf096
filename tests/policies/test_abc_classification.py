"""ABC classes by hand, and ABC driving the rules' service levels (classes within each
store)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.abc_classification import AbcClass, AbcPolicy, as_abc_policy
from policies.heuristics import BaseStock, ReorderPoint
from sim.errors import ConfigError
from sim.store_sku import StoreSkuView


def test_classes_by_cumulative_share():
    # total 100: 50 and 30 make the first 80 % (A), 15 the next 15 % (B), the rest C
    value = np.array([15.0, 50.0, 3.0, 30.0, 2.0])
    classes = AbcPolicy().classify(value)
    assert classes.tolist() == [AbcClass.B, AbcClass.A, AbcClass.C, AbcClass.A, AbcClass.C]


def test_service_levels_and_safety_factors():
    p = AbcPolicy()
    z = p.safety_factor(np.array([AbcClass.A, AbcClass.B, AbcClass.C]))
    assert z.tolist() == pytest.approx([2.0537, 1.6449, 1.2816], abs=1e-4)


# -- ABC in the rules: classes within each store drive the safety factor ----------------------


@given(
    values=st.lists(st.floats(0, 100), min_size=1, max_size=30),
    seed=st.integers(0, 2**16),
)
def test_classes_within_stores_rank_each_stores_skus_on_their_own(values, seed):
    value = np.array(values)
    store = np.random.default_rng(seed).integers(0, 3, len(value))
    got = AbcPolicy().classify_within(value, store)
    for s in np.unique(store):
        rows = store == s
        assert got[rows].tolist() == AbcPolicy().classify(value[rows]).tolist()


def _view(forecast, price, store) -> StoreSkuView:
    n = len(forecast)
    forecast = np.asarray(forecast, dtype=float)
    return StoreSkuView(
        on_hand=np.zeros(n), on_order=np.zeros(n), forecast_daily=forecast,
        shelf_life_days=np.zeros(n, dtype=np.int64), pack_units=np.ones(n, dtype=np.int64),
        blocked=np.zeros(n, dtype=bool), forecast_sd_daily=np.sqrt(forecast),
        lead_time_days=np.full(n, 2.0), review_days=np.ones(n), price=np.asarray(price, float),
        facings_units=np.zeros(n), store_index=np.asarray(store),
    )  # fmt: skip


def test_base_stock_gives_each_row_its_classs_safety_factor():
    """Store 0: revenue 40, 8, 2 (A, B, C: 80 %, 96 %, 100 % of 50 cumulated); store 1 alone
    has one SKU (A). Each row orders what BaseStock with its class's z orders."""
    view = _view([10.0, 4.0, 2.0, 1.0], [4.0, 2.0, 1.0, 1.0], [0, 0, 0, 1])
    abc = AbcPolicy()
    assert abc.row_classes(view).tolist() == [AbcClass.A, AbcClass.B, AbcClass.C, AbcClass.A]
    got = BaseStock(abc=abc).decide(view).units
    z_by_row = abc.safety_factor(abc.row_classes(view))
    assert z_by_row == pytest.approx([2.0537, 1.6449, 1.2816, 2.0537], abs=1e-4)
    for row, z in enumerate(z_by_row):
        assert got[row] == BaseStock(z=float(z)).decide(view).units[row]
    # by movement the ranking is by units: 10, 4, 2 -> 10/16 = 62.5 % A, 87.5 % B, C
    movement = AbcPolicy(basis="movement").row_classes(view)
    assert movement.tolist() == [AbcClass.A, AbcClass.A, AbcClass.B, AbcClass.A]
    both = AbcPolicy(basis="both").row_classes(view)
    assert both.tolist() == [AbcClass.A, AbcClass.A, AbcClass.B, AbcClass.A]


def test_reorder_point_takes_its_service_level_from_the_class():
    view = _view([10.0, 4.0, 2.0, 1.0], [4.0, 2.0, 1.0, 1.0], [0, 0, 0, 1])
    got = ReorderPoint(abc=AbcPolicy()).decide(view)
    for row, level in zip(range(4), (0.98, 0.95, 0.90, 0.98), strict=True):
        alone = ReorderPoint(service_level=level).decide(view)
        assert got.terms["safety"][row] == alone.terms["safety"][row]


def test_a_served_manifests_abc_parameters_build_the_policy_and_nothing_else():
    from policies.serving.rule_policy import build_rule

    abc = {"_target_": "policies.abc_classification.AbcPolicy", "basis": "movement"}
    rule = build_rule({"target": "policies.heuristics.BaseStock", "params": {"abc": abc}})
    assert rule.abc == AbcPolicy(basis="movement")
    with pytest.raises(ConfigError, match=r"^abc._target_: got 'os.system'"):
        as_abc_policy({"_target_": "os.system"})
    with pytest.raises(ConfigError, match=r"^abc.basis: got 'profit'; allowed: one of"):
        as_abc_policy({"basis": "profit"})
    with pytest.raises(ConfigError, match=r"^abc.turnover_days: got \(1, 2\)"):
        AbcPolicy(turnover_days=(1, 2))


def test_base_stock_with_abc_runs_in_the_simulator_with_higher_safety_for_a_items():
    from policies.runner import oracle_forecast
    from policies.sim_view import view_from_sim
    from sim.engine import Simulation
    from sim.scenario import build_demand_source, load_scenario

    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=2)
    sim.run_until(33.0)
    view = view_from_sim(sim, oracle_forecast(sim))
    classes = AbcPolicy().row_classes(view)
    terms = BaseStock(abc=AbcPolicy()).decide(view).terms
    sd = view.forecast_sd_daily * np.sqrt(view.lead_time_days + view.review_days)
    z = terms["safety"] / np.maximum(sd, 1e-9)
    busy = sd > 1.0  # the ceil of small safeties hides the factor
    assert (z[busy & (classes == AbcClass.A)].min()) > (z[busy & (classes == AbcClass.C)].max())
