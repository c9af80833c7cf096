"""The fairness guard on transfers: each rule by hand, its invariants on random plans, a
strong and a weak store on the simulator, and each store's net flows of a run."""

from __future__ import annotations

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.composite import TransferRulesPolicy
from policies.fairness import (
    FairnessGuard,
    OutflowHistory,
    net_flow_summary,
    net_flows_by_store,
)
from policies.heuristics import BaseStock
from policies.learned_transfers import N_PAIR_FEATURES, PairScorerTransfers
from policies.sim_view import transfer_inputs_from_sim
from policies.transfers import PlannedTransfer, TransferRules
from sim.engine import Simulation
from sim.errors import ConfigError, FieldError
from sim.spec import CourierPoolSpec
from sim.transfer import Transfer, TransferInputs
from tests.policies.test_policy_configs import CONFIGS
from tests.policies.test_transfers import inputs
from tests.sim.factory import catalog, daily_demand, network


def surplus_at_a() -> TransferInputs:
    """test_transfers' morning: A holds 48 (4 days left, sells 3/day), B holds 5 (sells
    16/day); the rules send 19 from A to B (benefit 19 × 2.7 - 6.64)."""
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3], by_life[1, 0, 3] = 48, 5
    return inputs(on_hand_by_life=by_life)


def planned(x: TransferInputs) -> list[PlannedTransfer]:
    plans = TransferRules().plan(x, ("A", "B"), ("yogurt",))
    assert [(p.origin, p.destination, p.units.tolist()) for p in plans] == [(0, 1, [19])]
    return plans


# ------------------------------------------------------------------ each rule by hand
def test_a_neutral_guard_changes_nothing():
    x = surplus_at_a()
    plans = planned(x)
    guard = FairnessGuard()
    assert guard.is_neutral and guard.destination_bonus(x) is None
    out = guard.apply(plans, x)
    assert out.transfers == plans and out.transfers[0] is plans[0]
    assert out.held_units.sum() == 0 and out.notes == ()


def test_floor_units_keeps_that_many_at_the_origin():
    x = surplus_at_a()
    out = FairnessGuard(floor_units=40).apply(planned(x), x, store_ids=("A", "B"))
    (plan,) = out.transfers
    # 48 on hand - 40 floor = 8 may go of the 19 planned; 11 stay at A
    assert plan.units.tolist() == [8] and out.held_units.tolist() == [[11], [0]]
    assert plan.benefit == pytest.approx(8 * 2.7 - 6.64)
    (reason,) = plan.reasons
    assert reason.startswith("send 19 yogurt from A to B")
    assert reason.endswith("fairness guard: send 8 of 19, kept 11 at A: floor 40 units")


def test_floor_days_keeps_days_of_the_origins_own_demand():
    x = surplus_at_a()
    out = FairnessGuard(floor_days=10).apply(planned(x), x, store_ids=("A", "B"))
    # A keeps ceil(3/day × 10 days) = 30: 18 of the 19 may go
    assert out.transfers[0].units.tolist() == [18]
    assert "kept 1 at A: floor 10 days of demand = 30 units" in out.transfers[0].reasons[0]


def test_a_floor_above_the_stock_sends_nothing_and_says_why():
    x = surplus_at_a()
    out = FairnessGuard(floor_units=60).apply(planned(x), x, store_ids=("A", "B"))
    assert out.transfers == [] and out.held_units.tolist() == [[19], [0]]
    assert out.notes == (
        "not sent 19 units from A to B: the fairness guard kept 19 at A, 0 left not worth a trip",
    )


def test_a_clipped_pair_no_longer_worth_its_trip_is_dropped():
    x = surplus_at_a()
    # 2 units × 2.7 = 5.4 < the trip's 6.64
    out = FairnessGuard(floor_units=46).apply(planned(x), x)
    assert out.transfers == [] and out.held_units.sum() == 19


def test_protected_store_keeps_its_minimum_and_others_do_not():
    x = surplus_at_a()
    # A sells 3/day, B 16/day: with half the stores protected, A is the small one
    guard = FairnessGuard(protected_share=0.5, protected_min_days=12)
    assert guard.protected(x).tolist() == [True, False]
    out = guard.apply(planned(x), x, store_ids=("A", "B"))
    # A keeps ceil(3 × 12) = 36 of its 48: 12 may go
    assert out.transfers[0].units.tolist() == [12]
    assert "kept 7 at A: protected store minimum 12 days = 36 units" in out.transfers[0].reasons[0]
    # the same minimum on the large store only: A is not protected, nothing is clipped
    big = inputs(on_hand_by_life=x.on_hand_by_life, forecast_daily=np.array([[16.0], [3.0]]))
    assert guard.protected(big).tolist() == [False, True]
    plans = TransferRules().plan(big)
    assert guard.apply(plans, big).transfers == plans


def test_weekly_net_outflow_cap_across_several_days():
    x = surplus_at_a()
    guard = FairnessGuard(max_net_outflow_units_per_week=25)
    history = OutflowHistory()
    sent = {}
    for day in range(8):
        if day == 4:  # B sends 8 to A: A's net outflow falls by 8
            history.record(day, [Transfer(1, 0, np.array([8]))], 2)
        if day not in (0, 3, 5, 6, 7):
            continue
        out = guard.apply(planned(x), x, history.net_outflow(day, 2), ("A", "B"))
        history.record(day, out.transfers, 2)
        sent[day] = sum(int(p.units.sum()) for p in out.transfers)
        if day == 3:
            assert (
                "net outflow cap 25 units per 7 days (19 out net before this pair)"
                in (out.transfers[0].reasons[0])
            )
    # day 0: 19 (net 19); day 3: 25 - 19 = 6 (net 25); day 4: 8 received (net 17);
    # day 5: 25 - 17 = 8 (net 25); day 6: none; day 7: day 0 has left the window
    # (net 6 - 8 + 8 = 6): 19
    assert sent == {0: 19, 3: 6, 5: 8, 6: 0, 7: 19}
    assert history.net_outflow(7, 2).tolist() == [25.0, -25.0]
    assert sorted(history.by_day) == [3, 4, 5, 6, 7]  # day 0 dropped with day 7's record


def test_the_cap_keeps_the_sku_worth_most_per_unit_first():
    by_life = np.zeros((2, 2, 4))
    by_life[0, :, 3] = 48
    x = inputs(
        on_hand_by_life=by_life,
        forecast_daily=np.array([[3.0, 3.0], [16.0, 16.0]]),
        arriving_units=np.zeros((2, 2)),
        on_promotion=np.zeros((2, 2)),
        shelf_life_days=np.array([14, 14]),
        price=np.array([2.5, 4.0]),
        disposal_cost_per_unit=np.array([0.2, 0.2]),
        blocked=np.zeros((2, 2), dtype=bool),
    )
    plan = PlannedTransfer(0, 1, np.array([10, 10]), 1.0, ("line 0", "line 1"))
    out = FairnessGuard(max_net_outflow_units_per_week=15).apply([plan], x)
    assert out.transfers[0].units.tolist() == [5, 10]  # SKU 1 sells for 4.0, SKU 0 for 2.5
    assert out.transfers[0].reasons[1] == "line 1"
    assert out.transfers[0].reasons[0].startswith("line 0; fairness guard: send 5 of 10")


def three_stores(**over) -> TransferInputs:
    """A (sells 10/day) holds 60 with 3 days left: 30 would expire, 30 may go. B (20/day)
    is 1 km away and short 30; C (4/day, the smallest store) is 3 km away and short 6."""
    by_life = np.zeros((3, 1, 4))
    by_life[0, 0, 2] = 60
    base = dict(
        on_hand_by_life=by_life,
        forecast_daily=np.array([[10.0], [20.0], [4.0]]),
        arriving_units=np.zeros((3, 1)),
        on_promotion=np.zeros((3, 1)),
        road_km=np.array([[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]]),
        same_city=np.ones((3, 3), dtype=bool),
        blocked=np.zeros((3, 1), dtype=bool),
    )
    return inputs(**{**base, **over})


def test_community_weight_changes_the_chosen_destination():
    x = three_stores()
    rules = TransferRules()
    (to_b,) = rules.plan(x, ("A", "B", "C"), ("yogurt",))
    assert (to_b.destination, to_b.units.tolist()) == (1, [30])
    # B's urgency is ahead of C's by 0.25 × (1 - 6/30) demand match + 0.20 × (3 - 1)/5
    # logistics = 0.28: a community weight of 0.2 on C is not enough, 0.3 is
    for weight, dest, units in ((0.2, 1, 30), (0.3, 2, 6)):
        guard = FairnessGuard(protected_share=1 / 3, community_weight=weight)
        assert guard.protected(x).tolist() == [False, False, True]
        bonus = guard.destination_bonus(x)
        (plan,) = rules.plan(x, ("A", "B", "C"), ("yogurt",), dest_bonus=bonus)
        assert (plan.destination, plan.units.tolist()) == (dest, [units])
    assert "+ community 0.30" in plan.reasons[0]
    assert rules.plan(x, dest_bonus=np.zeros(3)) == rules.plan(x)
    with pytest.raises(FieldError, match=r"dest_bonus: got \(2,\); allowed: \[3\] finite"):
        rules.plan(x, dest_bonus=np.zeros(2))


def test_community_weight_never_makes_a_line_qualify():
    x = three_stores()
    theta = np.zeros(N_PAIR_FEATURES + 1)
    theta[-1] = -0.5  # every learned score is -0.5: nothing qualifies
    scorer = PairScorerTransfers.from_vector(TransferRules(), theta)
    bonus = FairnessGuard(protected_share=1 / 3, community_weight=5.0).destination_bonus(x)
    assert scorer.plan(x, dest_bonus=bonus) == []


# ------------------------------------------------------------------- invariants
@st.composite
def guarded_day(draw):
    n_st = draw(st.integers(2, 4))
    n_sku = draw(st.integers(1, 3))
    shape = (n_st, n_sku)

    def ints(lo: int, hi: int, size: int) -> np.ndarray:
        return np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)))

    by_life = ints(0, 30, n_st * n_sku * 3).reshape(n_st, n_sku, 3).astype(np.float64)
    forecast = ints(0, 200, n_st * n_sku).reshape(shape) / 10.0
    x = inputs(
        on_hand_by_life=by_life,
        forecast_daily=forecast,
        arriving_units=np.zeros(shape),
        on_promotion=np.zeros(shape),
        shelf_life_days=np.full(n_sku, 3),
        price=ints(1, 50, n_sku) / 10.0,
        disposal_cost_per_unit=np.full(n_sku, 0.2),
        road_km=np.ones((n_st, n_st)) - np.eye(n_st),
        same_city=np.ones((n_st, n_st), dtype=bool),
        blocked=np.zeros(shape, dtype=bool),
        cost_per_trip=draw(st.sampled_from([0.0, 4.0, 30.0])),
    )
    plans = []
    for i in range(draw(st.integers(0, 6))):
        origin, dest = draw(st.permutations(range(n_st)))[:2]
        # the tag finds the plan a guarded transfer came from (pairs may repeat)
        plans.append(PlannedTransfer(origin, dest, ints(0, 40, n_sku), 1.0, (f"plan {i}",)))
    guard = FairnessGuard(
        floor_units=draw(st.sampled_from([0.0, 2.0, 7.5])),
        floor_days=draw(st.sampled_from([0.0, 0.5, 1.0, 2.5])),
        max_net_outflow_units_per_week=draw(st.sampled_from([None, 0.0, 10.0, 35.0])),
        protected_share=draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])),
        protected_min_days=draw(st.sampled_from([0.0, 1.0, 3.0])),
    )
    recent = ints(-20, 40, n_st).astype(np.float64)
    return x, plans, guard, recent


@settings(max_examples=200, deadline=None)
@given(guarded_day())
def test_guard_invariants_on_random_plans(day):
    x, plans, guard, recent = day
    n_st, n_sku = x.forecast_daily.shape
    out = guard.apply(plans, x, recent)
    planned_by = np.zeros((n_st, n_sku), dtype=np.int64)
    for p in plans:
        planned_by[p.origin] += p.units
    sent = np.zeros((n_st, n_sku), dtype=np.int64)
    received = np.zeros(n_st, dtype=np.int64)
    tags = [int(p.reasons[0].split(";")[0].removeprefix("plan ")) for p in out.transfers]
    assert tags == sorted(set(tags))  # each plan once at most, in the plan's order
    for p, tag in zip(out.transfers, tags, strict=True):
        assert (p.origin, p.destination) == (plans[tag].origin, plans[tag].destination)
        assert np.issubdtype(p.units.dtype, np.integer) and (p.units >= 0).all()
        assert (p.units <= plans[tag].units).all()
        sent[p.origin] += p.units
        received[p.destination] += int(p.units.sum())
    # units conserved: what was planned is sent or held at its origin
    assert (sent + out.held_units == planned_by).all() and (out.held_units >= 0).all()
    # floors: a store-SKU is never sent below its floor (nothing sent if it is below already)
    on_hand = x.on_hand_by_life.sum(axis=2)
    demand_floor = np.maximum(
        guard.floor_days, guard.protected(x)[:, None] * guard.protected_min_days
    )
    floor = np.ceil(np.maximum(guard.floor_units, x.forecast_daily * demand_floor) - 1e-9)
    assert (sent <= np.maximum(on_hand - floor, 0)).all()
    # the weekly cap holds for every store that sent anything today
    if guard.max_net_outflow_units_per_week is not None:
        net = recent + sent.sum(axis=1) - received
        sending = sent.sum(axis=1) > 0
        assert (net[sending] <= guard.max_net_outflow_units_per_week + 1e-9).all()


# --------------------------------------------------- a strong and a weak store, simulated
STRONG, WEAK = 0, 1
FORECAST = np.array([[30.0], [3.0]])  # units per day: the strong store sells ten times more


def strong_and_weak(guard: FairnessGuard) -> tuple[list[tuple[float, int]], Simulation]:
    """Three mornings of a learned-style planner that sends every unit it may (its score is
    1 for every line) where demand is highest; (weak store's stock, units it sent) each day."""
    net = network(
        catalog((10,), price=[3.0]),
        initial_on_hand=np.array([[40], [20]]),
        couriers=CourierPoolSpec(no_show_probability=0.0, capacity_units=100),
    )
    demand = daily_demand(np.repeat(FORECAST.astype(np.int64)[None], 4, axis=0))
    sim = Simulation(net, demand, seed=3, check_conservation=True)
    theta = np.zeros(N_PAIR_FEATURES + 1)
    theta[-1] = 1.0
    planner = PairScorerTransfers.from_vector(TransferRules(need_horizon_days=3.0), theta)
    policy = TransferRulesPolicy(BaseStock(), planner, guard)
    days = []
    for day in range(3):
        sim.run_until(24.0 * day + 9.0)
        stock = float(transfer_inputs_from_sim(sim, FORECAST).on_hand_by_life[WEAK].sum())
        policy.observe(sim, FORECAST)
        out = sum(int(p.units.sum()) for p in policy.last_transfers if p.origin == WEAK)
        assert all(p.origin == WEAK for p in policy.last_transfers)  # the strong one only takes
        days.append((stock, out))
    sim.run_until(24.0 * 3)
    assert sim.ledger().balanced.all()
    return days, sim


def test_the_guard_holds_the_weak_stores_floor_against_a_strong_neighbour():
    floor = 15  # the weak store, the smaller one, keeps 5 days × 3/day
    guard = FairnessGuard(protected_share=0.5, protected_min_days=5.0)
    without, _ = strong_and_weak(FairnessGuard())
    # without the guard the planner sends half the weak store's 20 at once (keeping one day
    # of demand, ceil(3 × 1) = 3, and at most half its stock), and more the next day
    assert without[0] == (20.0, 10) and without[1][1] > 0
    assert without[0][0] - without[0][1] < floor
    with_guard, sim = strong_and_weak(guard)
    assert with_guard[0] == (20.0, 5)  # 20 - 15 may go
    for stock, out in with_guard:
        assert out == 0 or stock - out >= floor
    assert [out for _, out in with_guard] == [5, 0, 0]  # afterwards its sales take it below
    # what ran: the weak store gave 5 units net, the strong one received them
    flows = sim.counters_view().network.transfer_flows
    assert flows == {(WEAK, STRONG): 5}
    net = net_flows_by_store({f"{o}->{d}": u for (o, d), u in flows.items()}, 2)
    assert net.tolist() == [5, -5]


def test_the_policy_config_builds_a_neutral_guard():
    with initialize_config_dir(config_dir=str(CONFIGS / "policy"), version_base="1.3"):
        policy = instantiate(compose(config_name="transfer_rules"))
    assert isinstance(policy.fairness, FairnessGuard) and policy.fairness.is_neutral
    assert TransferRulesPolicy(BaseStock()).fairness == policy.fairness


# ------------------------------------------------------------------ validation by name
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"floor_units": -1.0},
            "FairnessGuard.floor_units: got -1.0; allowed: a finite number >= 0",
        ),
        ({"floor_days": float("nan")}, "FairnessGuard.floor_days: got nan"),
        ({"protected_min_days": "3"}, "FairnessGuard.protected_min_days: got '3'"),
        ({"community_weight": True}, "FairnessGuard.community_weight: got True"),
        (
            {"max_net_outflow_units_per_week": -5},
            "FairnessGuard.max_net_outflow_units_per_week: got -5; allowed: null (no cap)",
        ),
        ({"protected_share": 1.5}, "FairnessGuard.protected_share: got 1.5; allowed: a share"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FairnessGuard(**kwargs)


def test_bad_arguments_are_refused_by_name():
    x = surplus_at_a()
    half = PlannedTransfer(0, 1, np.array([2.5]), 1.0, ())
    with pytest.raises(FieldError, match=r"plans\[0\]\.units: got \[2\.5\]"):
        FairnessGuard(floor_units=1).apply([half], x)
    with pytest.raises(FieldError, match="recent_net_outflow"):
        FairnessGuard(floor_units=1).apply([], x, np.zeros(3))
    with pytest.raises(ConfigError, match=r"OutflowHistory\.window_days: got 0"):
        OutflowHistory(window_days=0)


# ------------------------------------------------------------------- net flows of a run
def test_net_flows_by_store_and_their_summary_by_hand():
    flows = {"0->1": 5, "1->2": 3, "2->0": 1}
    net = net_flows_by_store(flows, n_stores=4)
    # received minus sent: S0 1 - 5, S1 5 - 3, S2 3 - 1, S3 nothing
    assert net.tolist() == [-4, 2, 2, 0]
    assert net_flows_by_store({(0, 1): 5, (1, 2): 3, (2, 0): 1}).tolist() == [-4, 2, 2]
    rows = {key: {"units": units, "trips": 1} for key, units in flows.items()}  # transfer_pairs
    assert net_flows_by_store(rows, 4).tolist() == net.tolist()
    summary = net_flow_summary(net)
    # sorted -4, 0, 2, 2: quartiles by linear interpolation
    assert summary == {
        "stores": 4,
        "min": -4.0,
        "q25": -1.0,
        "median": 1.0,
        "q75": 2.0,
        "max": 2.0,
        "donor_share": 0.25,
        "receiver_share": 0.5,
        "moved_units": 4.0,
    }
    assert net_flow_summary(net_flows_by_store({}))["stores"] == 0


def test_bad_flows_are_refused_by_name():
    with pytest.raises(FieldError, match=r"transfer_flows\['A->B'\]"):
        net_flows_by_store({"A->B": 3})
    with pytest.raises(FieldError, match=r"transfer_flows\['0->1'\]: got -2"):
        net_flows_by_store({"0->1": -2})
    with pytest.raises(FieldError, match="store index 5"):
        net_flows_by_store({"0->5": 1}, n_stores=3)


def test_exporting_a_transfer_policy_with_a_non_neutral_guard_is_refused(tmp_path):
    """The served planner does not apply the guard yet: a policy whose tuning set a floor
    is refused by name rather than served without it."""
    import json

    from policies.export.exporter import export_heuristic

    tuned = tmp_path / "tuned" / "city_fresh"
    tuned.mkdir(parents=True)
    (tuned / "transfer_rules.json").write_text(
        json.dumps({"best_params": {"fairness": {"floor_units": 2.0}}})
    )
    with pytest.raises(ConfigError, match=r"^fairness: got .*floor_units.*; allowed: the neutral"):
        export_heuristic(
            "transfer_rules", "city_fresh", tmp_path / "out", tuned_dir=tmp_path / "tuned"
        )
