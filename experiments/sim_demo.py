"""The simulator-only demo (``make demo-sim``): a scenario under the base-stock rule.

``scripts/demo.py`` prints what ``simulate_base_stock`` returns: the chain KPIs,
a per-store table and the unit ledger.
"""

from __future__ import annotations

from policies.heuristics import BaseStock
from policies.runner import oracle_forecast, run_rule
from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario


def simulate_base_stock(
    scenario: str = "city_fresh",
    *,
    warmup_days: int = 7,
    days: int = 21,
    seed: int = 0,
    cover_factor: float = 1.0,
    z: float = 1.0,
) -> Simulation:
    """Run ``scenario`` under base stock with the oracle forecast.

    ``warmup_days`` days, then the KPIs are reset and ``days`` more are run; the
    unit balance is checked at the end (``Simulation.assert_conserved``).

    Returns:
        The simulation after ``warmup_days + days`` days: ``kpis()`` covers the last
        ``days``, ``balance`` and the stock the whole run.
    """
    loaded = load_scenario(scenario)
    sim = Simulation(loaded.network, build_demand_source(loaded), seed=seed)
    policy = BaseStock(cover_factor=cover_factor, z=z)
    run_rule(sim, policy, warmup_days, forecast=oracle_forecast)
    sim.reset_kpis()
    run_rule(sim, policy, days, forecast=oracle_forecast)
    sim.assert_conserved()
    return sim
