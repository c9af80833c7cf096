"""Every policy config composes and instantiates (lightning-hydra-template's habit)."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
POLICY_NAMES = sorted(p.stem for p in (CONFIGS / "policy").glob("*.yaml"))


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_policy_config_instantiates(name):
    with initialize_config_dir(config_dir=str(CONFIGS / "policy"), version_base="1.3"):
        cfg = compose(config_name=name)
    policy = instantiate(cfg)
    assert hasattr(policy, "decide") or hasattr(policy, "predict")


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
