"""The what-if on Ray (a real local cluster on 127.0.0.1): the same results, to the bit, as
in local processes for the same seeds, and a failed task arrives as its own error."""

import functools
import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from sim import errors
from sim.errors import ConfigError
from sim.validation import integer_value

REPO = Path(__file__).resolve().parents[2]


def cfg_with(*overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="evaluate", overrides=list(overrides))


@pytest.fixture(scope="module")
def ray_cluster():
    from experiments.ray_executor import ensure_ray  # before ray: the loopback-only flag

    ray = pytest.importorskip("ray")
    ensure_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.mark.slow  # Ray's workers import the lab first: about 20-50 s on 2 cores
def test_the_what_if_on_ray_equals_the_local_one_to_the_bit(ray_cluster, tmp_path):
    common = ["scenario=yogurt_trio", "policies=[base_stock,transfer_rules]", "replications=4",
              "logger=none"]  # fmt: skip
    local = evaluate(cfg_with(*common, "executor=local", f"report_dir={tmp_path}/local"))
    on_ray = evaluate(cfg_with(*common, "executor=ray", f"report_dir={tmp_path}/ray"))
    assert on_ray["policies"] == local["policies"]
    assert on_ray["paired_differences"] == local["paired_differences"]


def test_the_local_cluster_listens_on_loopback_and_keeps_the_order(ray_cluster):
    from experiments.ray_executor import ray_map

    assert {node["NodeManagerAddress"] for node in ray_cluster.nodes()} == {"127.0.0.1"}
    assert ray_map(abs, [-3, 2, -1, 0]) == [3, 2, 1, 0]


def test_a_failed_ray_task_arrives_as_its_own_error(ray_cluster):
    from experiments.ray_executor import ray_map

    check = functools.partial(integer_value, field="workers", low=1)
    with pytest.raises(errors.ConfigError) as caught:
        ray_map(check, [2, 0, 3])
    assert caught.value.field == "workers" and caught.value.value == 0


def test_an_unknown_executor_is_refused_by_name(tmp_path):
    with pytest.raises(
        ConfigError, match=r"^executor: got 'dask'; allowed: one of \['local', 'ray'\]"
    ):
        evaluate(cfg_with("scenario=yogurt_trio", "executor=dask", "logger=none",
                          f"report_dir={tmp_path}"))  # fmt: skip


@pytest.mark.slow  # Ray's workers import the lab first
def test_tuning_on_ray_finds_the_same_grid_as_here(ray_cluster, tmp_path):
    from experiments.tune_baselines import tune_baselines

    kwargs = {"seeds": 1, "eval_seeds": 1, "days": 2, "warmup_days": 0, "refine_rounds": 0,
              "policies": ["base_stock"]}  # fmt: skip
    here = tune_baselines("yogurt_trio", out=tmp_path / "here", **kwargs)
    there = tune_baselines("yogurt_trio", out=tmp_path / "ray", executor="ray", **kwargs)
    tables = [
        json.loads((tmp_path / d / "yogurt_trio" / "base_stock.json").read_text())["table"]
        for d in ("here", "ray")
    ]
    assert tables[0] == tables[1] and len(tables[0]) > 1
    assert here["policies"]["base_stock"]["params"] == there["policies"]["base_stock"]["params"]
