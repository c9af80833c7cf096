"""The learned transfer planners: the rules' parameters as a vector, the per-pair scorer
(hand-checked on one pair, bounded on random cities), their JSON storage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.learned_transfers import (
    N_PAIR_FEATURES,
    N_RULE_PARAMS,
    PAIR_FEATURE_NAMES,
    PairScorerTransfers,
    load_planner,
    planner_from_params,
    planner_params,
    rules_from_vector,
    save_planner,
)
from policies.transfers import TransferRules
from sim.errors import ConfigError
from tests.policies.test_transfers import inputs

BASE = TransferRules(radius_km=4.0, need_horizon_days=1.25)


def scorer(bias: float, **coef: float) -> PairScorerTransfers:
    theta = np.zeros(N_PAIR_FEATURES + 1)
    for name, value in coef.items():
        theta[PAIR_FEATURE_NAMES.index(name)] = value
    theta[-1] = bias
    return PairScorerTransfers.from_vector(TransferRules(), theta)


def fresh_origin() -> np.ndarray:
    by_life = np.zeros((2, 1, 4))
    by_life[0, 0, 3] = 20  # A: 20 units with 4 days left, sells 3/day: 12 sell, 8 would expire
    return by_life  # B: empty, sells 16/day


def test_the_zero_vector_is_the_rules_themselves():
    assert rules_from_vector(BASE, np.zeros(N_RULE_PARAMS)) == BASE


def test_the_rule_vector_scales_the_guard_rails_and_reweights():
    theta = np.zeros(N_RULE_PARAMS)
    theta[0], theta[1], theta[4] = 1.0, -1.0, np.log(2.0)
    moved = rules_from_vector(BASE, theta)
    assert moved.radius_km == pytest.approx(8.0)
    assert moved.need_horizon_days == pytest.approx(0.625)
    w = moved.weights
    assert w.shelf_life / w.demand_match == pytest.approx(2 * 0.30 / 0.25)
    assert sum(dataclasses.astuple(w)) == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="9 finite numbers"):
        rules_from_vector(BASE, np.full(N_RULE_PARAMS, np.nan))


def test_the_scorer_by_hand_sends_beyond_what_would_expire_when_its_score_says_so():
    x = inputs(on_hand_by_life=fresh_origin())
    # the rules send only the doomed 8; need at B = ceil(16 × 1.5) = 24
    (rule_plan,) = TransferRules().plan(x, ("A", "B"), ("yogurt",))
    assert rule_plan.units.tolist() == [8]
    # the scorer may send min(20 - ceil(3 × 1) safety, floor(20 × 0.5) share) = 10
    (plan,) = scorer(bias=1.0).plan(x, ("A", "B"), ("yogurt",))
    assert (plan.origin, plan.destination, plan.units.tolist()) == (0, 1, [10])
    # benefit = 10 × (2.5 + 0.2) - (4 + 0.6 × 4.4)
    assert plan.benefit == pytest.approx(27.0 - 6.64)
    assert "learned score 1.00" in plan.reasons[0] and plan.reasons[0].startswith("send 10 yogurt")
    assert scorer(bias=-1.0).plan(x) == []  # a score at or below 0 never qualifies


def test_the_scorer_features_by_hand():
    x = inputs(on_hand_by_life=fresh_origin())
    s = scorer(bias=0.0)
    send, life_left = s.surplus(x)
    need = s.need(x)
    context = s.plan_context(x, send, need)
    terms = s.pair_terms(x, 0, 1, send, need, life_left)
    f = dict(zip(PAIR_FEATURE_NAMES, s.pair_features(x, 0, 1, terms, context)[:, 0], strict=True))
    assert f["doomed_share"] == pytest.approx(8 / 10)
    assert f["origin_cover_weeks"] == pytest.approx(20 / 3 / 7)
    assert f["dest_cover_weeks"] == 0.0
    assert f["disposal_to_price"] == pytest.approx(0.2 / 2.5)
    assert f["courier_to_value"] == pytest.approx((4 + 0.6 * 4.4) / (10 * 2.5))
    assert f["demand_match"] == 1.0 and f["logistics"] == pytest.approx(1 - 4.4 / 5.0)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_stores=st.integers(2, 5),
    n_skus=st.integers(1, 4),
)
def test_scored_transfers_never_take_what_a_store_must_keep(seed, n_stores, n_skus):
    rng = np.random.default_rng(seed)
    by_life = rng.integers(0, 30, size=(n_stores, n_skus, 5)).astype(float)
    xy = rng.uniform(0, 6, size=(n_stores, 2))
    road = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    city = rng.integers(0, 2, size=n_stores)
    x = inputs(
        on_hand_by_life=by_life,
        forecast_daily=rng.uniform(0, 12, size=(n_stores, n_skus)),
        arriving_units=rng.integers(0, 5, size=(n_stores, n_skus)).astype(float),
        on_promotion=rng.integers(0, 2, size=(n_stores, n_skus)).astype(float),
        shelf_life_days=rng.integers(0, 6, size=n_skus),
        price=rng.uniform(0.5, 5, size=n_skus),
        disposal_cost_per_unit=rng.uniform(0, 1, size=n_skus),
        road_km=road,
        same_city=city[:, None] == city[None, :],
        blocked=rng.random((n_stores, n_skus)) < 0.1,
        cost_per_trip=1.0,
        cost_per_km=0.2,
    )
    planner = PairScorerTransfers.from_vector(BASE, rng.normal(size=N_PAIR_FEATURES + 1))
    sendable, _ = planner.surplus(x)
    sent = np.zeros_like(sendable)
    for p in planner.plan(x):
        assert p.units.dtype == np.int64 and (p.units >= 0).all()
        assert x.same_city[p.origin, p.destination] and p.origin != p.destination
        assert x.road_km[p.origin, p.destination] <= planner.radius_km
        assert not (p.units * x.blocked[p.destination]).any()
        sent[p.origin] += p.units
    on_hand = by_life.sum(axis=2)
    assert (sent <= sendable).all()
    assert (sent <= np.maximum(on_hand - np.ceil(x.forecast_daily * planner.safety_days), 0)).all()


def test_planners_round_trip_as_json(tmp_path):
    rng = np.random.default_rng(3)
    for planner in (
        rules_from_vector(BASE, rng.normal(size=N_RULE_PARAMS) * 0.3),
        PairScorerTransfers.from_vector(BASE, rng.normal(size=N_PAIR_FEATURES + 1)),
    ):
        save_planner(planner, tmp_path / "t.json")
        assert load_planner(tmp_path / "t.json") == planner
        assert planner_from_params(planner_params(planner)) == planner


def test_bad_planner_parameters_are_refused_by_name():
    params = planner_params(scorer(bias=0.5))
    with pytest.raises(ConfigError, match=r"transfers\.kind"):
        planner_from_params({**params, "kind": "neural"})
    with pytest.raises(ConfigError, match=r"transfers\.features"):
        planner_from_params({**params, "features": ["shelf_life"]})
    with pytest.raises(ConfigError, match="coef"):
        planner_from_params({**params, "coef": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="fields of TransferRules"):
        planner_from_params({"radius_km": 3.0, "speed": 1})
