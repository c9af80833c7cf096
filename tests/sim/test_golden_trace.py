"""A golden trace of `yogurt_trio`: any change in event order, timing or quantities shows up.

Regenerate after an intended change with
``SHELFLIFE_UPDATE_GOLDEN=1 pytest tests/sim/test_golden_trace.py`` and review the diff like code.
"""

import os
from pathlib import Path

import numpy as np

from sim.engine import Simulation
from sim.scenario import build_demand_source, load_scenario
from sim.transfer import Transfer

GOLDEN = Path(__file__).parent / "golden" / "yogurt_trio.trace"


def yogurt_trace() -> list[str]:
    scenario = load_scenario("yogurt_trio")
    net = scenario.network
    sim = Simulation(
        net, build_demand_source(scenario), seed=7, trace=True, check_conservation=True
    )
    a, b = net.store_index("A"), net.store_index("B")
    sim.run_until(8.0)  # the morning: A has surplus near expiry, B is running out
    sim.submit_transfers([Transfer(a, b, np.array([20]))])
    sim.submit_store_orders(np.array([[0], [12], [6]]))
    sim.run_until(24.0 * 3)
    kpis = sim.kpis().chain
    lines = [str(e) for e in sim.trace]
    lines.append(
        "kpis "
        + " ".join(
            f"{k}={kpis[k]:.4f}" for k in ("fill_rate", "waste_rate", "profit", "transfers_units")
        )
    )
    return lines


def test_yogurt_trio_matches_its_golden_trace():
    lines = yogurt_trace()
    if os.environ.get("SHELFLIFE_UPDATE_GOLDEN"):
        GOLDEN.write_text("\n".join(lines) + "\n")
    expected = GOLDEN.read_text().splitlines()
    assert lines == expected
