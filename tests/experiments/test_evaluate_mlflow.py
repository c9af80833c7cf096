"""The what-if logs one parent MLflow run per study and a nested child run per policy,
checked by reading them back from a real embedded (sqlite) MLflow store."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from tests.experiments.mlflow_store import mlflow_logger

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("whatif")
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    overrides = [
        "scenario=yogurt_trio",
        "policies=[base_stock,transfer_rules]",
        "replications=2",
        "days=3",
        "warmup_days=1",
        "n_jobs=1",
        "study=whatif_test",
        f"report_dir={tmp_path}/report",
        *mlflow_logger(tmp_path, "whatif_test"),
    ]
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="evaluate", overrides=overrides)
    return uri, evaluate(cfg)


def test_a_parent_run_holds_the_report_and_a_child_run_per_policy(study):
    from mlflow import MlflowClient

    uri, result = study
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("whatif_test")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # the ML view
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert [p.info.run_id for p in parents] == [result["mlflow_run_id"]]
    parent = parents[0]
    assert parent.info.run_name == "whatif_test" and parent.data.tags["kind"] == "what-if"
    assert parent.data.params["scenario"] == "yogurt_trio"

    children = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    )
    by_policy = {c.data.tags["policy"]: c for c in children}
    assert set(by_policy) == {"base_stock", "transfer_rules"}
    assert {n: c.info.run_id for n, c in by_policy.items()} == result["mlflow_child_run_ids"]
    for name, child in by_policy.items():
        assert child.info.run_name == name
        assert child.data.tags["seeds"] == str(result["seeds"]) == "[9000, 9001]"
        metrics = child.data.metrics
        kpi = result["policies"][name]["profit"]
        assert metrics["profit"] == pytest.approx(kpi["mean"])
        assert metrics["profit.ci_low"] <= metrics["profit"] <= metrics["profit.ci_high"]
        assert metrics["win_share"] == pytest.approx(result["win_share"][name])
    # params are the policy's configuration (with its tuned values when published)
    assert by_policy["base_stock"].data.params["_target_"] == "policies.heuristics.BaseStock"
    transfer = by_policy["transfer_rules"].data.params
    assert transfer["transfers._target_"] == "policies.transfers.TransferRules"
    assert "replenishment._target_" in transfer
    assert "vs_reference/profit" in by_policy["transfer_rules"].data.metrics
    assert "vs_reference/profit" not in by_policy["base_stock"].data.metrics  # the reference

    # the report and its plots are artifacts of the parent, not of the children
    listed = {a.path for a in client.list_artifacts(parent.info.run_id, "report")}
    assert {"report/report.md", "report/report.html"} <= listed
    assert any(p.endswith(".png") for p in listed)
    assert not client.list_artifacts(by_policy["base_stock"].info.run_id)


def test_without_learning_curves_the_report_has_none(study):
    _, result = study
    assert result["learning_curves"] == {}
    assert "Learning curves" not in Path(result["report"]).read_text()
