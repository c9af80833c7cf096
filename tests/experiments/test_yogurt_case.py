"""The reference yogurt case, timed as told: the alert and the decision at their minutes,
the courier within its random delays, B sold out after the delivery, and the money
against the same demand without the transfer."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.yogurt_case import yogurt_case

REPO = Path(__file__).resolve().parents[2]
KM_A_TO_B = math.hypot(3.0, 1.5)  # yogurt_trio's positions
TRAVEL_H = KM_A_TO_B * 1.3 / 20.0  # detour factor, courier speed


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_timeline_holds_within_the_couriers_random_delays(seed):
    case = yogurt_case(seed)
    assert case["alert_h"] == 10.0 and case["receiver"] == "B" and case["units"] > 0
    assert (case["matched_h"], case["options_h"], case["confirmed_h"], case["published_h"]) == (
        pytest.approx(10 + 2 / 60, abs=1e-3), pytest.approx(10 + 5 / 60, abs=1e-3),
        pytest.approx(10 + 7 / 60, abs=1e-3), pytest.approx(10 + 10 / 60, abs=1e-3),
    )  # fmt: skip
    assert case["published_h"] < case["picked_up_h"] < 12.0  # ~15 min to pick up, random
    assert case["delivered_h"] - case["picked_up_h"] == pytest.approx(TRAVEL_H, abs=2e-3)
    assert case["sold_out_h"] is None or case["sold_out_h"] > case["delivered_h"]
    # everything sent would have expired at A, and sold at B: the same demand otherwise
    assert case["waste_avoided_units"] == case["units"]
    assert case["extra_sales"] == pytest.approx(case["units"] * 2.49)
    assert case["profit_difference"] > 0


def test_the_case_seed_is_the_told_saturday_and_the_cli_prints_one_json_line():
    done = subprocess.run(
        [sys.executable, "-m", "experiments.yogurt_case"], cwd=REPO, capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    case = json.loads(done.stdout.strip().splitlines()[-1])
    assert case["state_at_alert"]["A"]["on_hand"] == 48
    assert case["state_at_alert"]["B"] == {"on_hand": 5, "sold_today": 8}
    assert 14.0 <= case["sold_out_h"] <= 20.0  # on the Saturday, after the lunch promotion
    for key in ("alert_h", "confirmed_h", "picked_up_h", "delivered_h", "sold_out_h", "units",
                "receiver", "waste_avoided", "extra_sales"):  # fmt: skip
        assert key in case


def test_the_timeline_is_in_the_simulators_event_log_in_order():
    case = yogurt_case(2)
    kinds = [line.split()[1] for line in case["timeline"]]
    assert kinds == [
        "transfer_alert", "transfer_match", "transfer_options", "manager_decision",
        "transfer_request", "courier_pickup", "courier_delivery", "stock_out",
    ]  # fmt: skip
    hours = [float(line.split()[0]) for line in case["timeline"]]
    assert hours == sorted(hours) and hours[0] == 10.0
    assert "confirmed 24 units to B" in case["timeline"][3]
