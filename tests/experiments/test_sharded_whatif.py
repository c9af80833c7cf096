"""The what-if by region (shard=region): each (policy, seed, region) a task of its own,
merged into the chain's replication, gives the KPIs of whole-chain replications."""

from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import evaluate
from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SMALL = [
    "scenario=regional_chain",
    "scenario.network.couriers.per_region=true",  # 24 couriers in each city
    "policies=[base_stock,transfer_rules]",
    "replications=2",
    "days=2",
    "warmup_days=1",
    "logger=none",
    "n_jobs=2",
]


def cfg_with(*overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name="evaluate", overrides=list(overrides))


def assert_same_study(sharded: dict, whole: dict) -> None:
    for policy, kpis in whole["policies"].items():
        for kpi, stats in kpis.items():
            got = sharded["policies"][policy][kpi]
            if kpi.endswith("_units") or kpi == "transfers_count":
                assert got == stats, (policy, kpi)  # unit counts: exactly
            else:  # money and ratios: the regions' sums added in another order
                for key, value in stats.items():
                    np.testing.assert_allclose(got[key], value, rtol=1e-9, err_msg=f"{kpi}")


def test_the_what_if_by_region_equals_the_whole_chains(tmp_path):
    whole = evaluate(cfg_with(*SMALL, f"report_dir={tmp_path}/whole"))
    sharded = evaluate(cfg_with(*SMALL, "shard=region", f"report_dir={tmp_path}/regions"))
    assert_same_study(sharded, whole)
    assert whole["policies"]["base_stock"]["sold_units"]["mean"] > 0
    assert (Path(sharded["report"])).is_file()


@pytest.mark.slow  # Ray's workers import the lab first
def test_the_what_if_by_region_on_ray_equals_the_whole_chains(tmp_path):
    from experiments.ray_executor import ensure_ray

    ensure_ray(num_cpus=2)
    whole = evaluate(cfg_with(*SMALL, f"report_dir={tmp_path}/whole"))
    on_ray = evaluate(
        cfg_with(*SMALL, "shard=region", "executor=ray", f"report_dir={tmp_path}/ray")
    )
    assert_same_study(on_ray, whole)


def test_a_shard_that_does_not_exist_or_cannot_run_is_refused_by_name(tmp_path):
    chain_pool = [o for o in SMALL if "per_region" not in o]
    with pytest.raises(ConfigError, match=r"^couriers.per_region: got False; allowed: true to"):
        evaluate(cfg_with(*chain_pool, "shard=region", f"report_dir={tmp_path}"))
    with pytest.raises(ConfigError, match=r"^shard: got 'store'; allowed: null .* or region"):
        evaluate(cfg_with(*SMALL, "shard=store", f"report_dir={tmp_path}"))
    with pytest.raises(ConfigError, match=r"^shard: got 'region'; allowed: null for the perish"):
        evaluate(cfg_with("scenario=perishable", "shard=region", "logger=none",
                          f"report_dir={tmp_path}"))  # fmt: skip
