"""Every heuristic, end to end on city_fresh: sane KPIs, no negative stock, ledger balanced."""

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from policies.runner import run_rule
from policies.tuning import SmoothedDemand
from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario

POLICY_DIR = Path(__file__).resolve().parents[2] / "configs" / "policy"
HEURISTICS = sorted(
    p.stem
    for p in POLICY_DIR.glob("*.yaml")
    # variants (``extends``) run their base so, tested with it (test_policy_configs)
    if str(OmegaConf.load(p).get("_target_", "")).startswith("policies.heuristics.")
)


@cache
def scenario():
    sc = load_scenario("city_fresh")
    return sc, build_demand_source(sc)


@pytest.mark.parametrize("name", HEURISTICS)
def test_heuristic_runs_sanely_on_city_fresh(name):
    sc, demand = scenario()
    rule = instantiate(OmegaConf.load(POLICY_DIR / f"{name}.yaml"))
    sim = Simulation(sc.network, demand, seed=5, check_conservation=False)
    forecast = SmoothedDemand()
    run_rule(sim, rule, 3, forecast=forecast)
    sim.reset_kpis()
    run_rule(sim, rule, 7, forecast=forecast)
    sim.assert_conserved()
    k = sim.kpis().chain
    assert 0.0 < k["fill_rate"] <= 1.0
    assert 0.0 <= k["stockout_rate"] <= 1.0 and 0.0 <= k["waste_rate"] <= 1.0
    snap = sim.snapshot()
    assert (snap.store_on_hand_by_age >= 0).all() and (snap.dc_on_hand_by_age >= 0).all()
    assert sim.ledger().balanced.all()
    assert np.isfinite(k["profit"])
