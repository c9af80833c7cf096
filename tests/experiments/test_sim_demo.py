"""The simulator-only demo's run: warm-up days are left out of the KPIs, units balance."""

from experiments.sim_demo import simulate_base_stock


def test_kpis_cover_the_reported_days_only():
    sim = simulate_base_stock("yogurt_trio", warmup_days=2, days=3, seed=1)
    assert sim.kpis().chain["period_days"] == 3
    again = simulate_base_stock("yogurt_trio", warmup_days=2, days=3, seed=1)
    assert again.kpis().chain == sim.kpis().chain
