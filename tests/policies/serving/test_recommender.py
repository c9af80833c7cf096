"""Serving: verified loading, state validation, purity, feedback, import isolation."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import numpy as np
import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.sku_agents import SkuAgents
from policies.export.states import select_rows, state_columns
from policies.serving import (
    PolicyFormatError,
    PolicyIntegrityError,
    Recommender,
    StateError,
)
from policies.serving.feedback import Feedback, FeedbackLog
from policies.serving.integrity import MANIFEST, MANIFEST_CHECKSUM, write_manifest
from sim.features import OBSERVATION_NAMES, OBSERVATION_VERSION
from tests.exported_policies import REPO


@pytest.fixture(scope="module")
def store_state() -> dict:
    """One store's state (its orderable SKUs) from the simulator, as JSON-ready lists."""
    env = SkuAgents(episode_days=7, scenario="city_fresh", warmup_days=3)
    env.reset(11)
    core = env.core
    cols = state_columns(core.sim, core.forecast)
    store0 = np.flatnonzero(np.asarray(cols["store_ids"]) == cols["store_ids"][0])
    rows = np.intersect1d(store0, core.agent_index)
    cols = select_rows(cols, rows)
    state = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in cols.items()}
    state["store_id"] = state.pop("store_ids")[0]
    return state


def copy_policy(src, tmp_path):
    dst = tmp_path / "policy"
    shutil.copytree(src, dst)
    return dst


def test_a_changed_model_file_is_refused(ppo_policy_dir, tmp_path):
    folder = copy_policy(ppo_policy_dir, tmp_path)
    data = bytearray((folder / "policy.onnx").read_bytes())
    data[-10] ^= 0xFF
    (folder / "policy.onnx").write_bytes(bytes(data))
    with pytest.raises(PolicyIntegrityError, match=r"policy.onnx was changed after export"):
        Recommender.load(folder)


def test_a_changed_courier_network_is_refused(transfer_policy_dir, tmp_path):
    folder = copy_policy(transfer_policy_dir, tmp_path)
    data = bytearray((folder / "network.npz").read_bytes())
    data[200] ^= 0xFF
    (folder / "network.npz").write_bytes(bytes(data))
    with pytest.raises(PolicyIntegrityError, match=r"network.npz was changed after export"):
        Recommender.load(folder)


def test_a_changed_manifest_is_refused(ppo_policy_dir, tmp_path):
    folder = copy_policy(ppo_policy_dir, tmp_path)
    text = (folder / MANIFEST).read_text().replace('"max_order_packs": 8', '"max_order_packs": 9')
    (folder / MANIFEST).write_text(text)
    with pytest.raises(PolicyIntegrityError, match=r"manifest.json was changed after export"):
        Recommender.load(folder)


def test_missing_extra_and_unknown_version_are_refused(ppo_policy_dir, tmp_path):
    folder = copy_policy(ppo_policy_dir, tmp_path)
    (folder / "model.pkl").write_bytes(b"not listed")
    with pytest.raises(PolicyIntegrityError, match=r"entries not in the manifest: \['model.pkl'\]"):
        Recommender.load(folder)
    (folder / "model.pkl").unlink()
    (folder / "catalog.npz").unlink()
    with pytest.raises(PolicyIntegrityError, match=r"catalog\.npz is listed in the manifest but"):
        Recommender.load(folder)
    (folder / MANIFEST_CHECKSUM).unlink()
    with pytest.raises(PolicyIntegrityError, match=r"manifest\.sha256 is missing"):
        Recommender.load(folder)

    future = copy_policy(ppo_policy_dir, tmp_path / "future")
    manifest = json.loads((future / MANIFEST).read_text())
    manifest.pop("files")
    manifest.pop("format_version")
    write_manifest(future, manifest)  # a consistent folder...
    text = (future / MANIFEST).read_text().replace('"format_version": 2', '"format_version": 3')
    (future / MANIFEST).write_text(text)
    write_manifest(future, {k: v for k, v in json.loads(text).items() if k != "files"})
    with pytest.raises(PolicyFormatError, match="format_version 3 is not served"):
        Recommender.load(future)


def test_paths_subfolders_and_links_in_a_policy_folder_are_refused(ppo_policy_dir, tmp_path):
    folder = copy_policy(ppo_policy_dir, tmp_path / "sub")
    (folder / "extra").mkdir()
    with pytest.raises(PolicyIntegrityError, match=r"entries not in the manifest: \['extra'\]"):
        Recommender.load(folder)
    outside = tmp_path / "outside.npz"
    outside.write_bytes(b"elsewhere")
    for listed in (str(outside), "../outside.npz", "extra/x.npz", "C:\\x.npz"):
        bad = copy_policy(ppo_policy_dir, tmp_path / f"p{abs(hash(listed))}")
        manifest = json.loads((bad / MANIFEST).read_text())
        manifest["files"][listed] = manifest["files"]["catalog.npz"]
        body = json.dumps(manifest).encode()
        (bad / MANIFEST).write_bytes(body)
        (bad / MANIFEST_CHECKSUM).write_text(hashlib.sha256(body).hexdigest() + "\n")
        with pytest.raises(PolicyIntegrityError, match="allowed: names of files directly"):
            Recommender.load(bad)
    linked = copy_policy(ppo_policy_dir, tmp_path / "link")
    target = linked / "catalog.npz"
    moved = tmp_path / "real_catalog.npz"
    target.rename(moved)
    target.symlink_to(moved)  # same bytes, hash fine, but not a plain file of the folder
    with pytest.raises(PolicyIntegrityError, match="not plain files"):
        Recommender.load(linked)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("pack_units", 0, r"catalog\.npz: catalog pack_units\[0\] = 0.0; allowed: whole units"),
        ("facings_units", -5, r"facings_units\[0\]\[0\] = -5.0; allowed: whole units 0..1e15"),
        ("n_ages", 1e9, r"n_ages = 1000000000.0; allowed: a whole number of age buckets"),
        ("lead_time_days_by_weekday", np.nan, r"lead_time_days_by_weekday\[0\]\[0\] = nan"),
        ("price", np.inf, r"price\[0\] = inf"),
    ],
)
def test_a_rehashed_catalog_with_impossible_values_is_refused_by_name(
    ppo_policy_dir, tmp_path, name, value, message
):
    """The hash only proves the files are what the manifest says; the values are checked
    too, so a catalog re-hashed with pack 0, shelf -5 or 1e9 ages never reaches a request."""
    folder = copy_policy(ppo_policy_dir, tmp_path)
    with np.load(folder / "catalog.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arr = arrays[name].astype(np.float64) if name != "n_ages" else np.float64(value)
    if name != "n_ages":
        arr.flat[0] = value
    arrays[name] = arr
    np.savez(folder / "catalog.npz", **arrays)
    rewrite_manifest(folder)
    with pytest.raises(PolicyFormatError, match=message):
        Recommender.load(folder)


def rewrite_manifest(folder, **changes) -> None:
    """Rewrite a copied folder's manifest with ``changes``, consistently hashed."""
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest.pop("files")
    write_manifest(folder, manifest | changes)


def test_version_1_folders_are_served_and_transfers_need_version_2(
    base_stock_policy_dir, transfer_policy_dir, store_state, tmp_path
):
    old = copy_policy(base_stock_policy_dir, tmp_path / "old")
    rewrite_manifest(old, format_version=1)
    assert Recommender.load(old).recommend(store_state).n == len(store_state["sku_ids"])
    mixed = copy_policy(transfer_policy_dir, tmp_path / "mixed")
    rewrite_manifest(mixed, format_version=1)  # an older reader would drop the transfers
    with pytest.raises(PolicyFormatError, match="transfers section needs format_version 2"):
        Recommender.load(mixed)


def test_a_policy_trained_on_other_features_is_refused_by_name(ppo_policy_dir, tmp_path):
    manifest = json.loads((ppo_policy_dir / MANIFEST).read_text())
    obs = manifest["observation"]
    names = [f["name"] for f in obs["features"]]
    assert names == list(OBSERVATION_NAMES) and obs["version"] == OBSERVATION_VERSION
    swapped = copy_policy(ppo_policy_dir, tmp_path / "swapped")
    features = [obs["features"][1], obs["features"][0], *obs["features"][2:]]
    rewrite_manifest(swapped, observation=obs | {"features": features})
    with pytest.raises(
        PolicyFormatError,
        match=rf"observation\.features\[0\]: got '{names[1]}'; allowed: '{names[0]}'",
    ):
        Recommender.load(swapped)
    old = copy_policy(ppo_policy_dir, tmp_path / "old")
    rewrite_manifest(old, observation={k: v for k, v in obs.items() if k != "version"})
    with pytest.raises(PolicyFormatError, match=r"observation\.features\.version: got None"):
        Recommender.load(old)


def test_recommendations_are_a_pure_function_of_policy_and_state(ppo_policy_dir, store_state):
    a = Recommender.load(ppo_policy_dir).recommend(store_state).to_columns()
    b = Recommender.load(ppo_policy_dir).recommend(json.loads(json.dumps(store_state)))
    assert a == b.to_columns()
    assert len(a["reasons"]) == len(store_state["sku_ids"])
    assert set(a["alerts"]) <= {"none", "blue", "yellow", "orange", "red"}
    assert all(set(r) <= {"blocked", "case_pack", "cap"} for r in a["rules"])
    assert a["reasons"][0].startswith("learned policy: order ")


def test_heuristic_reasons_read_like_a_store_manager_would(base_stock_policy_dir, store_state):
    out = Recommender.load(base_stock_policy_dir).recommend(store_state).to_columns()
    assert out["reasons"][0].startswith("order ")
    assert "forecast" in out["reasons"][0] and "on hand" in out["reasons"][0]
    packs = np.array(out["order_packs"])
    assert np.all(np.array(out["order_units"]) >= packs)


BAD_STATES = [
    ("forecast", lambda s: s["forecast"].__setitem__(2, float("nan")), r"forecast\[2\]"),
    ("on_order", lambda s: s["on_order"].__setitem__(0, -1), r"on_order\[0\]: got -1"),
    ("on_order", lambda s: s["on_order"].__setitem__(1, 2.5), r"whole units"),
    ("sku_ids", lambda s: s["sku_ids"].__setitem__(3, "NOPE"), r"sku_ids\[3\]: got 'NOPE'"),
    ("store_id", lambda s: s.__setitem__("store_id", "X9"), r"store_id: got 'X9'"),
    (
        "demand",
        lambda s: s["demand_yesterday"].pop(),
        r"demand_yesterday: got 'shape \(199,\)'; allowed: 200 numbers",
    ),
    ("weekday", lambda s: s.__setitem__("weekday", 7), r"weekday: got 7"),
    ("unknown", lambda s: s.__setitem__("colour", 1), r"colour: got"),
    ("missing", lambda s: s.pop("forecast"), r"forecast: got '\(missing\)'"),
    ("type", lambda s: s.__setitem__("on_order", "many"), r"on_order: got 'many'"),
    ("dup", lambda s: s["sku_ids"].__setitem__(1, s["sku_ids"][0]), r"each store-SKU once"),
    (
        "sales",
        lambda s: (s["sales_yesterday"].__setitem__(0, 5), s["demand_yesterday"].__setitem__(0, 4)),
        r"sales_yesterday\[0\].*at most demand_yesterday",
    ),
]


@pytest.mark.parametrize(("case", "spoil", "message"), BAD_STATES, ids=[b[0] for b in BAD_STATES])
def test_bad_state_values_are_refused_by_name(ppo_policy_dir, store_state, case, spoil, message):
    state = json.loads(json.dumps(store_state))
    spoil(state)
    with pytest.raises(StateError, match=message):
        Recommender.load(ppo_policy_dir).recommend(state)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_valid_state_gets_whole_pack_suggestions(ppo_policy_dir, store_state, data):
    recommender = Recommender.load(ppo_policy_dir)
    n = len(store_state["sku_ids"])
    state = json.loads(json.dumps(store_state))
    units = st.integers(0, 500)
    for name in ("on_order", "demand_yesterday"):
        state[name] = data.draw(st.lists(units, min_size=n, max_size=n))
    state["sales_yesterday"] = [min(d, 3) for d in state["demand_yesterday"]]
    state["arriving_1d"] = [min(o, 2) for o in state["on_order"]]
    state["forecast"] = data.draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    out = recommender.recommend(state)
    packs = recommender.catalog["pack_units"][recommender.parse(state).sku]
    assert np.all(out.order_units >= 0)
    assert np.all(out.order_units % packs == 0)
    assert np.all(out.order_packs <= recommender.manifest["env"]["max_order_packs"])


def test_feedback_survives_a_restart_and_gives_the_override_share(tmp_path):
    path = tmp_path / "feedback" / "log.jsonl"
    log = FeedbackLog(path, "abc")
    log.record(
        [
            Feedback("S01", "A", 12, "accepted"),
            Feedback("S01", "B", 6, "changed", final_units=12, reviewer="ana"),
        ]
    )
    with pytest.raises(StateError, match="final_units"):
        log.record([Feedback("S01", "C", 6, "accepted"), Feedback("S01", "D", 6, "changed")])
    reopened = FeedbackLog(path, "abc")  # a new process would see the same file
    reopened.record([Feedback("S01", "E", 6, "rejected")])
    summary = reopened.summary()
    assert summary["total"] == 3 and summary["changed"] == 1 and summary["rejected"] == 1
    assert summary["override_share"] == pytest.approx(2 / 3)
    first = json.loads(path.read_text().splitlines()[0])
    assert first["policy"] == "abc" and first["final_units"] == 12


def test_serving_never_imports_the_training_stack(
    ppo_policy_dir, base_stock_policy_dir, transfer_policy_dir
):
    code = f"""
import sys, json
from policies.serving import Recommender
from policies.serving.http import create_app
from fastapi.testclient import TestClient
folders = ({str(ppo_policy_dir)!r}, {str(base_stock_policy_dir)!r}, {str(transfer_policy_dir)!r})
for folder in folders:
    r = Recommender.load(folder)
    cat = r.catalog
    state = {{"store_id": str(cat["store_ids"][0]), "weekday": 0,
              "sku_ids": [str(cat["sku_ids"][0])], "on_hand_by_age": [[1]], "on_order": [0],
              "sales_yesterday": [1],
              "demand_yesterday": [1], "forecast": [2.0]}}
    assert TestClient(create_app(r)).post("/recommend", json=state).status_code == 200
banned = ("torch", "stable_baselines3", "simpy", "gymnasium", "pickle_loaded")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in banned)))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("policy", ["ppo_policy_dir", "base_stock_policy_dir"])
def test_the_json_and_npz_answers_carry_the_columns(request, policy, store_state):
    recommender = Recommender.load(request.getfixturevalue(policy))
    state = json.loads(json.dumps(store_state))
    state["sku_ids"][0], state["sku_ids"][1] = state["sku_ids"][1], state["sku_ids"][0]
    out = recommender.recommend(state)
    for reasons in ("text", "structured"):
        columns = out.to_columns(reasons)
        # written straight from the arrays, byte for byte what the lists give
        assert out.to_json("p", reasons) == pydantic_core.to_json({"policy": "p", **columns})
        arrays = out.to_arrays(reasons)
        for name in ("store_ids", "sku_ids", "order_units", "order_packs", "alerts"):
            assert arrays[name].tolist() == columns[name]
        assert arrays["alert_responses"].tolist() == columns["alert_responses"]
        assert [
            [r for r in ("blocked", "case_pack", "cap") if arrays[f"rules.{r}"][i]]
            for i in range(out.n)
        ] == columns["rules"]
        if reasons == "text":
            assert arrays["reasons"].tolist() == columns["reasons"]
        else:
            assert arrays["reason_template"].item() == columns["reason_template"]
            for name, values in columns["reason_terms"].items():
                assert arrays[f"reason_terms.{name}"].tolist() == values


OUT_OF_RANGE = [
    ("forecast", 1e300, r"^forecast\[0\]: got 1\d+\.*; allowed: units/day >= 0 and <= 1e\+15$"),
    ("forecast", 1e16, r"^forecast\[0\]: got 1\d+; allowed: units/day >= 0 and <= 1e\+15$"),
    ("lead_time_days", 1e18, r"^lead_time_days\[0\]: got 1\d+; allowed: .* >= 0 and <= 366$"),
    ("scale", 1e18, r"^scale\[0\]: got 1\d+; allowed: a finite number >= 1 and <= 1e\+15$"),
    ("forecast_error", float("inf"), r"^forecast_error\[0\]: got inf; allowed: .*<= 1e\+15$"),
    ("promotion_price", 1e5, r"^promotion_price\[0\]: got 100000; allowed: .* > 0 and <= 100$"),
    ("dc_life_left_days", 1e9, r"^dc_life_left_days\[0\]: got 1000000000; allowed: .*<= 3650$"),
]


@pytest.mark.parametrize(("column", "value", "message"), OUT_OF_RANGE)
def test_numbers_beyond_their_range_are_refused_by_name(
    ppo_policy_dir, store_state, column, value, message
):
    """Finite but huge values used to answer 200 with overflowed (negative) orders."""
    state = json.loads(json.dumps(store_state))
    state[column] = [1.0] * len(state["sku_ids"])
    state[column][0] = value
    with pytest.raises(StateError, match=message):
        Recommender.load(ppo_policy_dir).recommend(state)


@pytest.mark.parametrize("policy", ["ppo_policy_dir", "base_stock_policy_dir"])
def test_the_largest_allowed_numbers_give_whole_non_negative_orders(request, store_state, policy):
    """At the top of every range (1e15 units/day, a year's lead time, 1e15 error) the
    arithmetic stays inside int64: orders are whole packs, >= 0, no wrap-around."""
    recommender = Recommender.load(request.getfixturevalue(policy))
    state = json.loads(json.dumps(store_state))
    n = len(state["sku_ids"])
    state.update(
        forecast=[1e15] * n, lead_time_days=[366.0] * n, forecast_error=[1e15] * n,
        scale=[1e15] * n,
    )  # fmt: skip
    out = recommender.recommend(state)
    packs = recommender.catalog["pack_units"][recommender.parse(state).sku]
    assert (out.order_units >= 0).all() and (out.order_units < 2**62).all()
    assert (out.order_units % packs == 0).all() and out.order_units.max() > 0
