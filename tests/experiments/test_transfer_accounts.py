"""The report's account of transfers: per-store P&L with and without transfers after
revenue sharing, the carbon account, and its config refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from experiments.transfer_accounts import settlement_terms, store_accounts
from sim.errors import ConfigError
from sim.settlement import CarbonTerms, SettlementTerms

REPO = Path(__file__).resolve().parents[2]


def cfg_with(*overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="evaluate", overrides=list(overrides))


PAIR = {"units": 10, "trips": 1, "km": 2.0, "courier_cost": 5.0, "co2_kg": 0.24,
        "value_at_cost": 20.0, "value_at_price": 30.0}  # fmt: skip


def test_store_accounts_add_the_settlement_to_each_stores_profit_and_pair_the_gain():
    """Two seeds; store 0 sends to store 1 (settled as in tests/sim/test_settlement.py:
    +4 for the donor, -9.45 for the receiver)."""
    runs = [
        {"store_profit": [100.0, 50.0], "transfer_pairs": {"0->1": PAIR}},
        {"store_profit": [110.0, 70.0], "transfer_pairs": {"0->1": PAIR}},
    ]
    reference = [{"store_profit": [100.0, 40.0]}, {"store_profit": [100.0, 60.0]}]
    acc = store_accounts(runs, reference, 2, SettlementTerms(), CarbonTerms())
    np.testing.assert_allclose(acc["with"], [109.0, 50.55])
    assert acc["gain"][0]["mean"] == pytest.approx(9.0)  # (4 + 14) / 2
    assert acc["gain"][1]["mean"] == pytest.approx(0.55)
    assert acc["chain_gain"]["mean"] == pytest.approx(9.55)
    assert acc["waste_avoided_co2e_kg"][0] == pytest.approx(10.0)
    # what the stores gain together is the chain's gain less the fee and the courier
    with_sum = acc["with"].sum()
    assert with_sum == pytest.approx(np.mean([150.0, 180.0]) - 5.0 - 0.45)


def test_an_unknown_settlement_key_is_refused_by_name():
    cfg = cfg_with("+settlement.donor_share=0.3")
    with pytest.raises(ConfigError, match=r"^settlement.donor_share: got 0.3; allowed: one of"):
        settlement_terms(cfg)


def test_the_what_if_report_shows_who_gains_from_transfers_and_their_co2(tmp_path):
    out = evaluate(
        cfg_with(
            "scenario=city_fresh",
            "policies=[base_stock,transfer_rules]",
            "replications=2",
            "days=3",
            "warmup_days=1",
            "logger=none",
            f"report_dir={tmp_path}",
        )
    )
    report = (tmp_path / "report.md").read_text()
    assert "## Transfers of `transfer_rules`: who gains (revenue sharing) and CO2" in report
    assert "| store | without (`base_stock`) | with, after settlement | gain [95 %] |" in report
    assert "kg CO2e saved over" in report
    assert out["report"].endswith("report.md")
