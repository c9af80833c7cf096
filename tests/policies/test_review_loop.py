"""Recommend and review: the reviewer accepts, edits toward the usual or rejects; trust
raises acceptance; recurring edits teach the system a per store-SKU correction."""

from __future__ import annotations

import numpy as np
import pytest

from policies.heuristics import BaseStock
from policies.review_loop import ReviewedRule, SimulatedReviewer
from policies.runner import run_rule
from policies.view import OrderDecision
from sim.engine import Simulation
from sim.errors import ConfigError
from sim.scenario import build_demand_source, load_scenario
from sim.store_sku import StoreSkuView


class Fixed:
    """Suggests the same units every day."""

    def __init__(self, units):
        self.units = np.asarray(units, dtype=np.int64)

    def decide(self, view):
        return OrderDecision(self.units.copy(), {}, "fixed {units}")


def view(n: int = 2, sold: float = 5.0, forecast: float = 5.0) -> StoreSkuView:
    return StoreSkuView(
        on_hand=np.zeros(n), on_order=np.zeros(n), forecast_daily=np.full(n, forecast),
        shelf_life_days=np.zeros(n, np.int64), pack_units=np.ones(n, np.int64),
        blocked=np.zeros(n, bool), sales_yesterday=np.full(n, sold),
    )  # fmt: skip


def test_a_reviewer_who_always_edits_teaches_the_system_to_suggest_what_they_order():
    """Suggestions of 20 against a usual of 10 (the first day's order sets it): every line
    edited halfway, and the correction brings the suggestion down toward what is ordered."""
    never = SimulatedReviewer(accept_probability=0.0, trust_weight=0.0, reject_share=0.0,
                              edit_toward_usual=0.5, usual_weight=0.0)  # fmt: skip
    reviewed = ReviewedRule(Fixed([10, 10]), never, learn_rate=0.5)
    reviewed.decide(view())  # day one: the usual is 10, nothing to edit toward
    reviewed.rule = Fixed([20, 20])
    first = reviewed.decide(view())
    assert first.units.tolist() == [15, 15]  # halfway from 20 to 10
    for _ in range(10):
        last = reviewed.decide(view())
    assert last.terms["suggested"].tolist()[0] < 15  # the system learned to suggest less
    assert reviewed.counts["changed"] >= 11 and reviewed.counts["accepted"] >= 1


def test_trust_rises_with_accuracy_and_raises_acceptance():
    reviewer = SimulatedReviewer(accept_probability=0.2, trust_weight=1.0, reject_share=0.0,
                                 trust_weight_of_day=0.5, usual_weight=0.0)  # fmt: skip
    reviewed = ReviewedRule(Fixed(np.full(2000, 2)), reviewer, learn_rate=0.0)
    reviewed.decide(view(2000, sold=5.0, forecast=5.0))  # a perfect forecast: trust 0.5
    reviewed.rule = Fixed(np.full(2000, 4))  # the usual stays 2: an edit is a change
    reviewed.reset_period()
    reviewed.decide(view(2000, sold=5.0, forecast=5.0))  # trust 0.75: accept 0.2 + 0.8 x 0.75
    share = reviewed.counts["accepted"] / 2000
    assert reviewed.trust == pytest.approx(0.75) and share == pytest.approx(0.8, abs=0.03)


def test_a_reviewed_base_stock_runs_and_counts_overrides():
    scenario = load_scenario("city_fresh")
    sim = Simulation(scenario.network, build_demand_source(scenario), seed=1)
    reviewed = ReviewedRule(BaseStock(z=0.5), SimulatedReviewer(reject_share=0.5))
    reviewed.reset(1)
    run_rule(sim, reviewed, days=3)
    counts = reviewed.period_counts()
    assert counts["review_lines"] > 0 and counts["review_rejected"] > 0
    assert counts["review_lines"] == sum(
        counts[f"review_{k}"] for k in ("accepted", "changed", "rejected")
    )
    sim.assert_conserved()


def test_bad_review_settings_are_refused_by_name():
    with pytest.raises(ConfigError, match=r"^review\.reject_share: got 1\.5"):
        SimulatedReviewer(reject_share=1.5)
    with pytest.raises(ConfigError, match=r"^review\.learn_rate: got -0\.1"):
        ReviewedRule(Fixed([1]), learn_rate=-0.1)
