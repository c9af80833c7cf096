"""Transfer options and the manager's decision in serving: the Python API and a real
server on 127.0.0.1 (signed option ids, a veto moves nothing, an id the server did not
issue is refused by name, every decision in the feedback log)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from policies.serving import Recommender
from policies.serving.errors import ServingError, StateError
from policies.serving.feedback import FeedbackLog
from policies.serving.transfer_options import OptionSigner
from tests.policies.serving.test_http import KEY, Server


@pytest.fixture(scope="module")
def city_state() -> dict:
    """A city's state (every store) from the simulator, as JSON-ready lists."""
    from envs.sku_agents import SkuAgents
    from policies.export.states import state_columns

    env = SkuAgents(episode_days=5, scenario="city_fresh", warmup_days=3)
    env.reset(5)
    columns = state_columns(env.core.sim, env.core.forecast)
    return {k: np.asarray(v).tolist() for k, v in columns.items()}


def test_options_are_alerts_with_up_to_three_signed_options(transfer_policy_dir, city_state):
    recommender = Recommender.load(transfer_policy_dir)
    alerts = recommender.transfer_options(city_state)
    assert alerts
    for alert in alerts:
        assert 1 <= len(alert["options"]) <= 3
        assert alert["alert_id"] == f"{alert['store_id']}/{alert['sku_id']}"
        receivers = [o["to_store"] for o in alert["options"]]
        assert len(set(receivers)) == len(receivers) and alert["store_id"] not in receivers
        for option in alert["options"]:
            assert 0 < option["units"] <= alert["surplus_units"]
            assert option["reason"].startswith("option ") and 0 <= option["certainty"] <= 1
            assert recommender.signer.open(option["option_id"])[:3] == [
                alert["store_id"], alert["sku_id"], option["to_store"],
            ]  # fmt: skip


def test_decisions_become_feedback_and_a_forged_option_is_refused(
    transfer_policy_dir, city_state, tmp_path
):
    recommender = Recommender.load(transfer_policy_dir)
    option = recommender.transfer_options(city_state)[0]["options"][0]
    accepted = recommender.decide_transfer(
        {"option_id": option["option_id"], "decision": "accepted"}
    )
    assert (accepted.kind, accepted.decision, accepted.final_units) == (
        "transfer", "accepted", option["units"],
    )  # fmt: skip
    vetoed = recommender.decide_transfer({"option_id": option["option_id"], "decision": "vetoed"})
    assert vetoed.decision == "rejected" and vetoed.final_units == 0  # a veto moves nothing
    changed = recommender.decide_transfer(
        {"option_id": option["option_id"], "decision": "changed", "final_units": 1}
    )
    assert changed.final_units == 1 and changed.to_store == option["to_store"]
    log = FeedbackLog(tmp_path / "log.jsonl")
    assert log.record([accepted, vetoed, changed]) == 3
    summary = log.summary()
    assert (summary["accepted"], summary["changed"], summary["rejected"]) == (1, 1, 1)
    body, mac = option["option_id"].rsplit(".", 1)
    forged = body.replace(f"|{option['units']}|", "|999|") + "." + mac
    for bad in (forged, "S01|x|S02|3|1.deadbeef", 42, "no-dot"):
        with pytest.raises(StateError, match=r"^option_id: got .*; allowed: an option id this"):
            recommender.decide_transfer({"option_id": bad, "decision": "accepted"})
    other_key = OptionSigner.for_policy("another policy", None)
    with pytest.raises(StateError, match=r"^option_id"):
        recommender.decide_transfer({"option_id": option["option_id"], "decision": "accepted"},
                                    signer=other_key)  # fmt: skip
    with pytest.raises(StateError, match=r"^decision: got 'maybe'"):
        recommender.decide_transfer({"option_id": option["option_id"], "decision": "maybe"})
    with pytest.raises(StateError, match=r"^final_units: got 999"):
        recommender.decide_transfer(
            {"option_id": option["option_id"], "decision": "changed", "final_units": 999}
        )


def test_a_policy_without_transfers_has_no_options(ppo_policy_dir, store_state):
    with pytest.raises(ServingError, match="plans no transfers"):
        Recommender.load(ppo_policy_dir).transfer_options(store_state)


@pytest.fixture(scope="module")
def store_state() -> dict:
    from tests.policies.serving.test_recommender import store_state as make

    return make.__wrapped__()


def test_the_server_offers_options_and_records_decisions(transfer_policy_dir, city_state, tmp_path):
    log = tmp_path / "log.jsonl"
    server = Server(transfer_policy_dir, log, max_body_bytes=20_000_000)
    try:
        with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=60) as c:
            body = json.dumps(city_state)
            assert httpx.post(f"{server.url}/transfer-options", content=body).status_code == 401
            alerts = c.post("/transfer-options", content=body).json()["alerts"]
            option = alerts[0]["options"][0]
            decided = c.post("/transfer-decision", json={"decisions": [
                {"option_id": option["option_id"], "decision": "vetoed", "reviewer": "m1"},
            ]})  # fmt: skip
            assert decided.status_code == 200 and decided.json()["recorded"] == 1
            forged = option["option_id"][:-3] + "000"
            refused = c.post("/transfer-decision", json={"decisions": [
                {"option_id": alerts[-1]["options"][0]["option_id"], "decision": "accepted"},
                {"option_id": forged, "decision": "accepted"},
            ]})  # fmt: skip
            assert refused.status_code == 422
            (detail,) = refused.json()["detail"]
            assert detail["loc"] == ["body", "decisions[1].option_id"]
            assert "an option id this server issued" in detail["msg"]
            bad = c.post("/transfer-decision", json={"decisions": [{"option_id": 1}]})
            assert bad.status_code == 422
    finally:
        server.stop()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(lines) == 1  # the refused batch recorded nothing
    assert lines[0] | {"ts": None, "policy": None} == {
        "ts": None, "policy": None, "store_id": alerts[0]["store_id"],
        "sku_id": alerts[0]["sku_id"], "suggested_units": option["units"],
        "decision": "rejected", "final_units": 0, "reviewer": "m1", "note": None,
        "kind": "transfer", "option_id": option["option_id"], "to_store": option["to_store"],
    }  # fmt: skip
