"""The HTTP service, as a real uvicorn process on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.exported_policies import REPO
from tests.policies.serving.test_recommender import store_state  # noqa: F401 - fixture

KEY = "s3cret-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, policy: Path, feedback_log: Path, max_body_bytes: int = 300_000) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TEST_API_KEY": KEY}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "scripts/serve.py",
                "--policy",
                str(policy),
                "--port",
                str(self.port),
                "--api-key-env",
                "TEST_API_KEY",
                "--feedback-log",
                str(feedback_log),
                "--max-body-bytes",
                str(max_body_bytes),
            ],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.proc.stderr.read()}")

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        return err


@pytest.fixture(scope="module")
def server(ppo_policy_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("feedback") / "log.jsonl"
    srv = Server(ppo_policy_dir, log)
    srv.feedback_log = log
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, headers={"X-API-Key": KEY}, timeout=30) as c:
        yield c


def test_health_needs_no_key_and_metadata_does(server):
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
    assert httpx.get(f"{server.url}/metadata").status_code == 401
    assert httpx.get(f"{server.url}/metadata", headers={"X-API-Key": "nope"}).status_code == 403
    meta = httpx.get(f"{server.url}/metadata", headers={"X-API-Key": KEY}).json()
    assert meta["kind"] == "onnx" and meta["n_skus"] == 200 and "files" not in meta


def test_openapi_and_docs_need_the_key_and_declare_it_and_every_4xx(server):
    for path in ("/openapi.json", "/docs"):
        assert httpx.get(f"{server.url}{path}").status_code == 401
        assert httpx.get(f"{server.url}{path}", headers={"X-API-Key": "no"}).status_code == 403
    spec = httpx.get(f"{server.url}/openapi.json", headers={"X-API-Key": KEY}).json()
    assert {"/recommend", "/feedback", "/health", "/metadata"} <= set(spec["paths"])
    body = spec["paths"]["/recommend"]["post"]["requestBody"]["content"]["application/json"]
    assert "on_hand_by_age" in body["schema"]["properties"]
    schemes = spec["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-API-Key"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path == "/health":
                assert "security" not in op
                continue
            assert op["security"] == [{next(iter(schemes)): []}], (path, method)
            assert {"401", "403"} <= set(op["responses"]), (path, method)
    assert {"400", "413", "422"} <= set(spec["paths"]["/recommend"]["post"]["responses"])
    assert {"400", "404", "422"} <= set(spec["paths"]["/feedback"]["post"]["responses"])
    feedback_body = spec["paths"]["/feedback"]["post"]["requestBody"]["content"]
    assert "entries" in feedback_body["application/json"]["schema"]["properties"]
    page = httpx.get(f"{server.url}/docs", headers={"X-API-Key": KEY})
    assert page.status_code == 200 and "SwaggerUIBundle({spec:" in page.text
    # one self-contained page: no script or stylesheet fetched from anywhere
    assert "<script src" not in page.text and "<link" not in page.text
    assert "cdn.jsdelivr" not in page.text


def test_metadata_shows_no_absolute_paths(server):
    meta = httpx.get(f"{server.url}/metadata", headers={"X-API-Key": KEY}).text
    assert str(REPO) not in meta and "/tmp/" not in meta


def test_a_key_given_twice_is_refused_by_name(client, store_state):  # noqa: F811
    body = json.dumps(store_state)
    twice = body[:-1] + ', "weekday": 3}'
    answer = client.post("/recommend", content=twice, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["msg"] == "weekday: got the key twice; allowed: each key once"
    entry = '{"store_id": "S1", "sku_id": "K1", "suggested_units": 2, "decision": "accepted"'
    for dup in (entry + ', "decision": "rejected"}', entry + "}"):
        answer = client.post(
            "/feedback",
            content='{"entries": [' + dup + "]}",
            headers={"Content-Type": "application/json"},
        )
        if dup.endswith('"rejected"}'):
            assert answer.status_code == 422
            (problem,) = answer.json()["detail"]
            assert problem["msg"].startswith("decision: got the key twice")
        else:
            assert answer.status_code in (200, 422)  # unknown ids are refused by name, not 5xx
    assert (
        client.post(
            "/feedback", content=b"{nope", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_recommend_answers_the_same_for_the_same_request(client, store_state):  # noqa: F811
    a = client.post("/recommend", json=store_state)
    b = client.post("/recommend", json=store_state)
    assert a.status_code == 200, a.text
    assert a.content == b.content
    out = a.json()
    assert out["sku_ids"] == store_state["sku_ids"]
    assert len(out["order_units"]) == len(out["reasons"]) == len(out["alerts"])


def test_structured_reasons_carry_the_template_and_its_numbers(client, store_state):  # noqa: F811
    text = client.post("/recommend", json=store_state).json()
    structured = client.post("/recommend?reasons=structured", json=store_state).json()
    assert "reasons" not in structured and "{units}" in structured["reason_template"]
    terms = structured["reason_terms"]
    assert all(len(v) == len(store_state["sku_ids"]) for v in terms.values())
    first = structured["reason_template"].format(**{k: v[0] for k, v in terms.items()})
    assert first == text["reasons"][0]
    assert client.post("/recommend?reasons=poetry", json=store_state).status_code == 422


def bad(state: dict, **changes) -> bytes:
    spoiled = json.loads(json.dumps(state))
    for key, value in changes.items():
        if isinstance(value, tuple):
            spoiled[key][value[0]] = value[1]
        else:
            spoiled[key] = value
    return json.dumps(spoiled).encode()


def test_each_bad_request_gets_the_right_4xx_and_the_server_keeps_serving(
    server,
    client,
    store_state,  # noqa: F811
):
    cases = [
        (b'{"store_id": "S01", "weekday": ', 400, "malformed JSON"),
        (b"[1, 2, 3]", 422, "JSON object"),
        (bad(store_state, on_order="lots"), 422, "on_order"),
        (bad(store_state, forecast=(4, "NaN")), 422, "forecast[4]"),
        (bad(store_state, on_order=(0, -3)), 422, "on_order[0]: got -3"),
        (bad(store_state, sku_ids=(5, "GHOST")), 422, "sku_ids[5]: got 'GHOST'"),
        (bad(store_state, store_id="NOWHERE"), 422, "store_id: got 'NOWHERE'"),
        (bad(store_state, weekday="monday"), 422, "weekday"),
        (bad(store_state, on_order=(2, "3")), 422, "on_order[2]: got '3'"),
        (bad(store_state, demand_yesterday=(1, True)), 422, "demand_yesterday[1]: got True"),
        (bad(store_state, forecast=(0, None)), 422, "forecast[0]: got None"),
    ]
    for body, status, text in cases:
        body = body.replace(b'"NaN"', b"NaN")
        r = client.post("/recommend", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == status, (text, r.text)
        assert text in r.text
        assert "Traceback" not in r.text
    big = b'{"pad": "' + b"x" * 400_000 + b'"}'
    assert client.post("/recommend", content=big).status_code == 413
    no_key = httpx.post(f"{server.url}/recommend", json=store_state)
    assert no_key.status_code == 401
    wrong = httpx.post(f"{server.url}/recommend", json=store_state, headers={"X-API-Key": "x"})
    assert wrong.status_code == 403
    assert client.post("/recommend", json=store_state).status_code == 200


def test_feedback_is_validated_and_survives_a_restart(
    server,
    client,
    ppo_policy_dir,
    store_state,  # noqa: F811
):
    sku = store_state["sku_ids"][0]
    store = store_state["store_id"]
    entries = [
        {"store_id": store, "sku_id": sku, "suggested_units": 12, "decision": "accepted"},
        {
            "store_id": store,
            "sku_id": sku,
            "suggested_units": 12,
            "decision": "changed",
            "final_units": 6,
            "reviewer": "store manager",
        },
    ]
    r = client.post("/feedback", json={"entries": entries})
    assert r.status_code == 200, r.text
    assert r.json()["recorded"] == 2
    refused = client.post("/feedback", json={"entries": [{**entries[0], "sku_id": "GHOST"}]})
    assert refused.status_code == 422 and "entries[0].sku_id" in refused.text
    refused = client.post("/feedback", json={"entries": [{**entries[0], "suggested_units": "12"}]})
    assert refused.status_code == 422
    restarted = Server(ppo_policy_dir, server.feedback_log)
    try:
        summary = httpx.get(f"{restarted.url}/feedback/summary", headers={"X-API-Key": KEY}).json()
    finally:
        restarted.stop()
    assert summary["total"] == 2 and summary["override_share"] == 0.5


NPZ = "application/x-npz"


UNITS = ("on_hand_by_age", "on_order", "sales_yesterday", "demand_yesterday", "on_shelf")


def npz_body(state: dict, **changes) -> bytes:
    """The state as np.savez columns (ids unicode, units int32, other numbers float64)."""
    arrays = {}
    for name, values in {**state, **changes}.items():
        if name in ("store_id", "sku_ids"):
            arrays[name] = np.array(values, dtype=str)
        elif name in ("weekday", "day"):
            arrays[name] = np.array(values)
        else:
            arrays[name] = np.array(values, dtype=np.int32 if name in UNITS else np.float64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_npz(content: bytes) -> dict:
    with np.load(io.BytesIO(content), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_npz_in_and_out_carry_the_same_suggestions_as_json(client, store_state):  # noqa: F811
    as_json = client.post("/recommend?reasons=structured", json=store_state)
    npz_in = client.post(
        "/recommend?reasons=structured",
        content=npz_body(store_state),
        headers={"Content-Type": NPZ},
    )
    assert npz_in.status_code == 200, npz_in.text
    assert npz_in.content == as_json.content  # an npz request, a JSON answer: the same bytes
    npz_out = client.post(
        "/recommend?reasons=structured",
        content=npz_body(store_state),
        headers={"Content-Type": NPZ, "Accept": NPZ},
    )
    assert npz_out.headers["content-type"] == NPZ
    arrays, columns = read_npz(npz_out.content), as_json.json()
    assert arrays["policy"].item() == columns["policy"]
    for name in ("sku_ids", "order_units", "order_packs", "alerts", "alert_responses"):
        assert arrays[name].tolist() == columns[name], name
    for name, values in columns["reason_terms"].items():
        assert arrays[f"reason_terms.{name}"].tolist() == values
    text = client.post("/recommend", json=store_state, headers={"Accept": NPZ})
    assert (
        read_npz(text.content)["reasons"].tolist()
        == client.post("/recommend", json=store_state).json()["reasons"]
    )


def test_bad_npz_requests_get_the_same_4xx_as_json(server, client, store_state):  # noqa: F811
    n = len(store_state["sku_ids"])
    forecast = list(store_state["forecast"])
    forecast[4] = float("nan")
    cases = [
        (b"PK\x03\x04 not really a zip", 400, "malformed npz body"),
        (npz_body(store_state, forecast=forecast), 422, "forecast[4]"),
        (npz_body(store_state, on_order=[-3] + [0] * (n - 1)), 422, "on_order[0]: got -3"),
        (npz_body(store_state, store_id="NOWHERE"), 422, "store_id: got 'NOWHERE'"),
        (npz_body(store_state, weekday=9), 422, "weekday: got 9"),
    ]
    text_units = io.BytesIO()
    np.savez(text_units, on_order=np.array(["3"]))
    cases.append((text_units.getvalue(), 422, "on_order: got 'text array"))
    bomb = io.BytesIO()
    np.savez_compressed(bomb, on_order=np.zeros(1_000_000, dtype=np.int32))
    cases.append((bomb.getvalue(), 400, "at most 300000"))
    for body, status, text in cases:
        r = client.post("/recommend", content=body, headers={"Content-Type": NPZ, "Accept": NPZ})
        assert r.status_code == status, (text, r.text)
        assert text in r.text and "Traceback" not in r.text
    big = npz_body(store_state, on_order=[0] * 100_000)
    assert len(big) > 300_000
    assert client.post("/recommend", content=big, headers={"Content-Type": NPZ}).status_code == 413
    no_key = httpx.post(
        f"{server.url}/recommend", content=npz_body(store_state), headers={"Content-Type": NPZ}
    )
    assert no_key.status_code == 401
    ok = client.post("/recommend", content=npz_body(store_state), headers={"Content-Type": NPZ})
    assert ok.status_code == 200


def test_openapi_documents_the_npz_bodies(server):
    spec = httpx.get(f"{server.url}/openapi.json", headers={"X-API-Key": KEY}).json()
    post = spec["paths"]["/recommend"]["post"]
    assert NPZ in post["requestBody"]["content"]
    assert NPZ in post["responses"]["200"]["content"]
    assert "application/x-npz" in post["description"]


def test_the_framework_route_answers_like_the_shortcut(ppo_policy_dir, store_state):  # noqa: F811
    """``create_app`` serves POST /recommend without FastAPI's layers; FastAPI's own route
    (for the OpenAPI docs, or an app mounted elsewhere) answers the same."""
    from fastapi.testclient import TestClient

    from policies.serving import Recommender
    from policies.serving.http import create_app

    service = create_app(Recommender.load(ppo_policy_dir), api_key=KEY, max_body_bytes=300_000)
    shortcut = TestClient(service, headers={"X-API-Key": KEY})
    framework = TestClient(service.app, headers={"X-API-Key": KEY})
    requests = [
        ("/recommend", json.dumps(store_state).encode(), "application/json", ""),
        ("/recommend?reasons=structured", npz_body(store_state), NPZ, NPZ),
        ("/recommend", b'{"store_id": "S01", "weekday": ', "application/json", ""),
        ("/recommend?reasons=poetry", b"{}", "application/json", ""),
        ("/recommend", bad(store_state, on_order=(0, -3)), "application/json", ""),
        ("/recommend", b"PK\x03\x04 junk", NPZ, ""),
    ]
    for path, body, content_type, accept in requests:
        headers = {"Content-Type": content_type, "Accept": accept}
        a = shortcut.post(path, content=body, headers=headers)
        b = framework.post(path, content=body, headers=headers)
        assert (a.status_code, a.content) == (b.status_code, b.content), path
        assert a.headers["content-type"] == b.headers["content-type"]
    for client in (shortcut, framework):
        wrong_key = client.post("/recommend", content=b"{}", headers={"X-API-Key": "no"})
        assert wrong_key.status_code == 403


@pytest.mark.parametrize("fmt", ["json", "npz"])
def test_the_load_test_checks_every_answer(server, ppo_policy_dir, monkeypatch, fmt):
    sys.path.insert(0, str(REPO / "scripts"))
    import load_test

    args = ["--policy", str(ppo_policy_dir), "--url", server.url, "--api-key-env", "TEST_API_KEY"]
    args += ["--skus", "50", "--duration", "0.5", "--connections", "2", "--format", fmt]
    monkeypatch.setenv("TEST_API_KEY", KEY)
    result = load_test.main(args)
    assert result["errors"] == 0 and result["requests"] > 0
    assert result["p50_ms"] <= result["p99_ms"]
    monkeypatch.setenv("TEST_API_KEY", "wrong")  # every answer is a 403: every one counted
    result = load_test.main(args)
    assert result["errors"] == result["requests"] > 0
    assert "403" in result["first_errors"][0]


@pytest.mark.parametrize("folder", ["transfer_policy_dir", "residual_policy_dir"])
def test_a_transfer_policy_takes_a_citys_stores_and_answers_transfers(
    folder, ppo_policy_dir, request
):
    """store_ids over HTTP only where the policy plans transfers (the rules, or the learned
    residual with its learned scorer); JSON and npz carry them."""
    from fastapi.testclient import TestClient

    from envs.sku_agents import SkuAgents
    from policies.export.states import state_columns
    from policies.serving import Recommender
    from policies.serving.http import create_app

    env = SkuAgents(episode_days=5, scenario="city_fresh", warmup_days=3)
    env.reset(5)
    columns = state_columns(env.core.sim, env.core.forecast)
    body = json.dumps({k: np.asarray(v).tolist() for k, v in columns.items()}).encode()
    recommender = Recommender.load(request.getfixturevalue(folder))
    expected = recommender.recommend(columns).to_columns()
    assert sum(expected["transfer_units"]) > 0
    client = TestClient(create_app(recommender, max_body_bytes=20_000_000))
    answer = client.post("/recommend", content=body).json()
    for name in ("transfer_units", "transfer_to", "transfer_reasons", "order_units"):
        assert answer[name] == expected[name], name
    for units, to, reason in zip(
        answer["transfer_units"], answer["transfer_to"], answer["transfer_reasons"], strict=True
    ):
        assert bool(units) == bool(to) == bool(reason)  # a line names where and why, or nothing
    npz_answer = client.post("/recommend", content=body, headers={"Accept": NPZ})
    with np.load(io.BytesIO(npz_answer.content), allow_pickle=False) as arrays:
        assert arrays["transfer_units"].tolist() == expected["transfer_units"]
        assert arrays["transfer_to"].tolist() == expected["transfer_to"]
    plain = TestClient(create_app(Recommender.load(ppo_policy_dir), max_body_bytes=20_000_000))
    refused = plain.post("/recommend", content=body)
    assert refused.status_code == 422 and "one store per request" in refused.text
