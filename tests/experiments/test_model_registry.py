"""The exported ONNX policy as an MLflow model, logged and registered in a real embedded
(sqlite) MLflow store, loaded back by its registered name, and served by `mlflow models serve`
(slow): it suggests what our own recommender suggests, and a changed policy file in its
artifacts is refused at load (the manifest's checksums), as by our server."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from experiments.model_registry import log_policy_model
from policies.export.states import example_state_table
from policies.serving import PolicyIntegrityError, Recommender
from policies.serving.tables import suggestions_table, table_to_columns

SCENARIO = "city_fresh"


@pytest.fixture(autouse=True)
def _sys_path_kept():
    """``mlflow.pyfunc.load_model`` puts the model's copy of the code first on ``sys.path``
    and leaves it there: later imports in this worker, and the processes it spawns (the
    what-if's region tasks), would load the copy, whose configs are not beside it."""
    before = list(sys.path)
    yield
    sys.path[:] = before


@pytest.fixture(scope="module")
def state():
    return example_state_table(SCENARIO, 3)


@pytest.fixture(scope="module")
def registry(ppo_policy_dir, state, tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("registry_test", artifact_location=(root / "a").as_uri())
    with mlflow.start_run(experiment_id=experiment) as run:
        logged = log_policy_model(ppo_policy_dir, SCENARIO, state)
    return uri, logged, run.info.run_id


def test_the_registered_model_suggests_what_our_recommender_suggests(
    registry, ppo_policy_dir, state
):
    import mlflow

    uri, logged, _ = registry
    assert (logged.registered_model, logged.version) == (f"shelflife-{SCENARIO}", 1)
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(f"models:/shelflife-{SCENARIO}/1")
    got = model.predict(state)
    ours = suggestions_table(Recommender.load(ppo_policy_dir).recommend(table_to_columns(state)))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), ours)
    assert len(got) == len(state) and got["order_units"].sum() > 0


def test_the_model_has_a_signature_an_input_example_and_no_pickle(registry, state):
    import mlflow

    uri, logged, _ = registry
    mlflow.set_tracking_uri(uri)
    local = Path(mlflow.artifacts.download_artifacts(logged.model_uri))
    info = mlflow.models.get_model_info(logged.model_uri)
    inputs = [c.name for c in info.signature.inputs]
    assert inputs == list(state.columns)
    assert [c.name for c in info.signature.outputs][:4] == [
        "store_id",
        "sku_id",
        "order_units",
        "order_packs",
    ]
    example = json.loads((local / "serving_input_example.json").read_text())
    assert example["dataframe_split"]["columns"] == list(state.columns)
    assert not list(local.rglob("*.pkl")) and not list(local.rglob("*.pickle"))
    assert [p.name for p in (local / "artifacts").rglob("policy.onnx")] == ["policy.onnx"]


def test_a_changed_policy_file_in_the_model_is_refused_at_load(registry, tmp_path):
    import mlflow

    uri, logged, _ = registry
    mlflow.set_tracking_uri(uri)
    local = Path(mlflow.artifacts.download_artifacts(logged.model_uri, dst_path=str(tmp_path)))
    (onnx,) = (local / "artifacts").rglob("policy.onnx")
    onnx.write_bytes(onnx.read_bytes()[:-1] + b"\0")
    with pytest.raises(PolicyIntegrityError, match=r"policy\.onnx"):
        mlflow.pyfunc.load_model(str(local))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_mlflow_models_serve_answers_the_input_example(registry, state, tmp_path):
    uri = registry[0]
    port = _free_port()
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    log = (tmp_path / "serve.log").open("wb")
    model = f"models:/shelflife-{SCENARIO}/1"
    where = ["--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [str(mlflow_cli), "models", "serve", "-m", model, "--env-manager", "local", *where],
        # as in an activated venv: mlflow starts the venv's uvicorn by name
        env={
            **os.environ,
            "MLFLOW_TRACKING_URI": uri,
            "PATH": f"{mlflow_cli.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/ping", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "mlflow models serve did not start in 120 s"
            time.sleep(0.5)
        example = state.head(5)
        body = {"dataframe_split": json.loads(example.to_json(orient="split", index=False))}
        answer = httpx.post(f"{base}/invocations", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        rows = answer.json()["predictions"]
        assert [r["sku_id"] for r in rows] == example["sku_id"].tolist()
        assert all(r["order_units"] >= 0 for r in rows)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
