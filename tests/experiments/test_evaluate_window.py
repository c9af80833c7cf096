"""The what-if's window fits its scenario: a scenario states its own default window, a
policy that sells nothing in the reported days is named in a warning, and tuned parameters
applied to a variant of their scenario are called out."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from experiments.evaluate import StudyWarning, evaluate
from sim.errors import ConfigError
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def cfg_with(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(
            config_name="evaluate",
            overrides=[
                "policies=[base_stock,transfer_rules]",
                "replications=2",
                "n_jobs=1",
                "logger=none",
                f"report_dir={tmp_path}",
                *overrides,
            ],
        )


def test_a_scenario_states_its_window_and_the_defaults_take_it(tmp_path):
    net = load_scenario("yogurt_trio").network
    assert (net.study_days, net.study_warmup_days) == (3, 0)
    city = load_scenario("city_fresh").network
    assert (city.study_days, city.study_warmup_days) == (14, 7)
    with pytest.warns(StudyWarning, match=r"base_stock runs its untuned config defaults"):
        result = evaluate(cfg_with(tmp_path, "scenario=yogurt_trio"))
    # yogurt_trio's rules have no tuning (only city_fresh's are published): said, nothing else
    assert len(result["warnings"]) == 2
    assert all("untuned config defaults" in w for w in result["warnings"])
    for name in ("base_stock", "transfer_rules"):
        assert result["policies"][name]["sold_units"]["mean"] > 0
        assert result["policies"][name]["period_days"]["mean"] == pytest.approx(3.0)
    assert "days: 3\nwarmup_days: 0\n" in (tmp_path / "study.yaml").read_text()


def test_a_window_the_scenario_cannot_fill_is_named_in_a_warning(tmp_path):
    with pytest.warns(StudyWarning, match=r"base_stock sold nothing in the 14 reported days"):
        result = evaluate(cfg_with(tmp_path, "scenario=yogurt_trio", "days=14", "warmup_days=7"))
    assert sum("sold nothing" in w for w in result["warnings"]) == 2  # both policies
    assert "**Warning:** base_stock sold nothing" in (tmp_path / "report.md").read_text()


def test_tuned_parameters_on_a_variant_are_called_out(tmp_path):
    variant = "scenario_overrides=['demand.base_rate_generator.store_scale.median=1.3']"
    with pytest.warns(StudyWarning, match=r"were tuned on the unmodified .city_fresh."):
        result = evaluate(
            cfg_with(tmp_path, "scenario=city_fresh", "days=2", "warmup_days=1", variant)
        )
    again = "(scripts/tune_baselines.py --scenario city_fresh --override demand.base_rate"
    assert sum(again in w for w in result["warnings"]) == 2


@pytest.mark.parametrize(("key", "value"), [("days", 0), ("warmup_days", -1), ("days", 2.5)])
@pytest.mark.parametrize("other_given", [False, True])
def test_a_bad_window_is_refused_by_name(tmp_path, key, value, other_given):
    other = {"days": "warmup_days=1", "warmup_days": "days=2"}[key]
    extra = [other] if other_given else []
    with pytest.raises(ConfigError, match=rf"^{key}: got"):
        evaluate(cfg_with(tmp_path, "scenario=yogurt_trio", f"{key}={value}", *extra))
