"""Every policy config composes and instantiates (lightning-hydra-template's habit)."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
POLICY_NAMES = sorted(p.stem for p in (CONFIGS / "policy").glob("*.yaml"))


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policy_config_instantiates(name):
    """Composed by Hydra as a file; a variant (``extends``) as ``policy_file`` resolves it."""
    from policies.configs import policy_file, split_run_settings

    with initialize_config_dir(config_dir=str(CONFIGS / "policy"), version_base="1.3"):
        cfg = compose(config_name=name)
    conf, _ = split_run_settings(policy_file(name) if "extends" in cfg else cfg)
    policy = instantiate(conf)
    assert hasattr(policy, "decide") or hasattr(policy, "predict")


def test_a_variant_is_its_base_plus_its_own_values_and_reads_its_bases_tuning():
    from omegaconf import OmegaConf

    from policies.configs import policy_file, tuned_file

    base, variant = policy_file("transfer_rules"), policy_file("predictive_transfers")
    assert {k: v for k, v in variant.items() if k != "predictive"} == {
        k: v for k, v in base.items() if k != "predictive"
    }
    assert variant["predictive"]["_target_"] == "policies.predictive.PredictiveTransfers"
    cfg = OmegaConf.create({"tuned_dir": "reports/baseline", "scenario": "city_fresh"})
    assert tuned_file("predictive_transfers", cfg).name == "transfer_rules.json"


def test_the_issue_names_are_present():
    required = {
        "base_stock",
        "capped_base_stock",
        "s_S",
        "R_s_S",
        "s_Q",
        "reorder_point",
        "facings_days",
        "newsvendor",
        "perishable_base_stock",
    }
    assert required <= set(POLICY_NAMES)
