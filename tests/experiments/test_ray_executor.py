"""The what-if on Ray (a real local cluster on 127.0.0.1): the same results, to the bit, as
in local processes for the same seeds, and a failed task arrives as its own error."""

import functools
import json
import re
import socket
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

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
    common = ["scenario=city_fresh", "policies=[base_stock,transfer_rules]", "replications=4",
              "days=3", "warmup_days=1", "logger=none"]  # fmt: skip
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
    from experiments.task_failures import TaskFailures

    check = functools.partial(integer_value, field="workers", low=1)
    with pytest.raises(TaskFailures) as caught:
        ray_map(check, [2, 0, 3], labels=["a", "b", "c"])
    (failure,) = caught.value.failures
    assert isinstance(failure.error, errors.ConfigError)
    assert failure.error.field == "workers" and failure.error.value == 0
    assert failure.label == "b" and caught.value.results == [2, None, 3]


def _fail_once(marker: str) -> str:
    """Fails on its first attempt (no marker yet), succeeds on the next."""
    if not Path(marker).exists():
        Path(marker).touch()
        raise OSError("a transient fault")
    return "second attempt"


def test_a_failed_ray_task_is_retried_once_and_the_others_are_kept(ray_cluster, tmp_path):
    """Ray runs a failed task once more: a transient fault heals on its retry, a lasting one
    is reported (with the task's label) after the retry, and the other tasks' results are
    kept. The seed and shard reach the label through ``experiments.evaluate.job_label``."""
    from experiments.evaluate import job_label, run_jobs
    from experiments.replicate import replicate_rule_region
    from experiments.task_failures import TaskFailures

    flaky = ("flaky", 1, _fail_once, (str(tmp_path / "flaky"),))
    lasting = ("p", 9003, replicate_rule_region, ("no_such_scenario", {}, 9003, 1, 0, (), 2))
    with pytest.raises(TaskFailures) as caught:
        run_jobs([flaky, lasting, ("ok", 2, abs, (-4,))], 1, ray_cfg=OmegaConf.create({}))
    (failure,) = caught.value.failures
    assert failure.label == job_label(lasting) == "policy 'p', seed 9003, shard region 2"
    assert "policy 'p', seed 9003, shard region 2" in str(caught.value)
    assert caught.value.results == ["second attempt", None, 4]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1:{port}",
        "ray://127.0.0.1:{port}",
        "no-such-host.invalid:6379",
        "127.0.0.1:not-a-port",
    ],
)
def test_an_unreachable_ray_address_is_a_clear_error_within_30_seconds(address, tmp_path):
    """Ray alone retries an address nobody answers at for two minutes and then exits the
    process; the lab names the address and what is allowed within seconds."""
    address = address.format(port=_free_port())
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"^ray\.address: got '" + re.escape(address)) as caught:
        evaluate(cfg_with("scenario=yogurt_trio", "executor=ray", f"ray.address={address}",
                          "replications=1", "logger=none", f"report_dir={tmp_path}"))  # fmt: skip
    assert time.monotonic() - started < 30
    assert "ray start --head" in caught.value.allowed


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
