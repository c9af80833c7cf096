"""Composite policies drive transfers and alerts through the runner."""

import numpy as np

from policies.alerts import Tier
from policies.composite import TieredAlertsPolicy, TransferRulesPolicy
from policies.heuristics import BaseStock
from policies.runner import run_rule
from policies.tuning import SmoothedDemand
from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario


def test_transfer_rules_policy_orders_and_transfers_on_yogurt_trio():
    sc = load_scenario("yogurt_trio")
    sim = Simulation(sc.network, build_demand_source(sc), seed=7, check_conservation=True)
    policy = TransferRulesPolicy(BaseStock(z=0.5))
    run_rule(sim, policy, 1, forecast=SmoothedDemand(), decision_hour=8.0)
    assert policy.explain_transfers()[0].startswith("send 19 yogurt_premium from A to B")
    sim.run_until(24.0 * 3)
    assert sim.kpis().chain["transfers_units"] >= 19


def test_tiered_alerts_policy_marks_down_and_explains():
    sc = load_scenario("city_fresh")
    sim = Simulation(sc.network, build_demand_source(sc), seed=11)
    policy = TieredAlertsPolicy(BaseStock(z=0.5), markdown_price=0.9, clearance_price=0.7)
    run_rule(sim, policy, 9, forecast=SmoothedDemand())
    tiers = policy.alerts.tier.reshape(sc.network.n_stores, sc.network.n_skus)
    price = sim.snapshot().price_multiplier
    assert np.all(price[tiers == Tier.YELLOW] == 0.9) and np.all(price[tiers == Tier.RED] == 0.7)
    assert np.all(price[tiers == Tier.NONE] == 1.0)
    reasons = policy.explain_alerts(sim)
    assert reasons and all(":" in r for r in reasons)
    assert sim.ledger().balanced.all()
