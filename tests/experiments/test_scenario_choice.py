"""A scenario's values are ordinary Hydra overrides of evaluate and tune_policy
(``scenario.network.<path>=...``), turned into exactly the overrides of
``sim.scenario.load_scenario`` that rebuild the chosen network and demand."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hypothesis import given
from hypothesis import strategies as st
from omegaconf import OmegaConf

from experiments.evaluate import evaluate
from experiments.scenario_choice import select_scenario
from sim.scenario import compose_sim_config, list_scenarios, load_scenario, override_value

REPO = Path(__file__).resolve().parents[2]


def compose_cfg(name, *overrides):
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))


def test_overrides_of_the_scenario_group_become_the_simulators_overrides():
    cfg = compose_cfg(
        "evaluate",
        "scenario=yogurt_trio",
        "scenario.network.couriers.size=5",
        "scenario.network.stores.0.x_km=1.5",
        "scenario.demand.base_rate.B.yogurt_premium=30",
    )
    assert cfg.study == "yogurt_trio_whatif"
    select_scenario(cfg)
    assert cfg.scenario == "yogurt_trio" and cfg.study == "yogurt_trio_whatif"
    assert list(cfg.scenario_overrides) == [
        "network.stores.0.x_km=1.5",
        "network.couriers.size=5",
        "demand.base_rate.B.yogurt_premium=30",
    ]
    sc = load_scenario(cfg.scenario, list(cfg.scenario_overrides))
    assert sc.network.couriers.size == 5 and sc.network.store_positions_km()[0, 0] == 1.5
    assert sc.demand_cfg["base_rate"]["B"]["yogurt_premium"] == 30


@pytest.mark.parametrize("name", [n for n in list_scenarios()])
def test_a_shipped_scenario_carries_no_overrides_and_its_group_exists(name):
    cfg = compose_cfg("evaluate", f"scenario={name}")
    select_scenario(cfg)
    assert cfg.scenario == name and list(cfg.scenario_overrides) == []


def test_the_composed_scenario_is_rebuilt_to_the_value():
    cfg = compose_cfg(
        "evaluate",
        "scenario=city_fresh",
        "scenario.network.couriers.speed_kmh=31.5",
        "+scenario.network.store_sku.default.facings_units=4",
    )
    chosen = OmegaConf.to_container(cfg.scenario.network, resolve=True)
    select_scenario(cfg)
    rebuilt = compose_sim_config(cfg.scenario, list(cfg.scenario_overrides)).network
    assert OmegaConf.to_container(rebuilt, resolve=True) == chosen


def test_the_perishable_scenario_has_no_network():
    cfg = compose_cfg("evaluate", "experiment=perishable_optimum")
    select_scenario(cfg)
    assert cfg.scenario == "perishable" and list(cfg.scenario_overrides) == []


def test_a_what_if_on_a_changed_scenario_sees_the_change(tmp_path):
    common = [
        "scenario=yogurt_trio",
        "policies=[base_stock]",
        "reference=base_stock",
        "replications=2",
        "n_jobs=1",
        "logger=none",
    ]
    shipped = evaluate(compose_cfg("evaluate", *common, f"report_dir={tmp_path}/a"))
    busier = evaluate(
        compose_cfg(
            "evaluate",
            *common,
            f"report_dir={tmp_path}/b",
            "scenario.demand.base_rate.B.yogurt_premium=40",
        )
    )
    demand = [r["policies"]["base_stock"]["demand_units"]["mean"] for r in (shipped, busier)]
    assert demand[1] > demand[0] + 40
    study = (tmp_path / "b" / "study.yaml").read_text()
    assert "demand.base_rate.B.yogurt_premium=40" in study  # the Reproduce block reruns it


def test_tune_policy_takes_the_scenario_group_too():
    from experiments.tune_policy import tune_objective

    cfg = compose_cfg(
        "tune_policy",
        "policy=base_stock",
        "scenario=yogurt_trio",
        "scenario.network.couriers.size=1",
        "n_seeds=1",
        "days=2",
        "warmup_days=0",
    )
    value = tune_objective(cfg)
    assert cfg.scenario == "yogurt_trio" and list(cfg.scenario_overrides) == [
        "network.couriers.size=1"
    ]
    assert value == value  # a number, not NaN


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(st.characters(codec="ascii", exclude_characters="\\\\"), max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,6}", fullmatch=True), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(json_values)
def test_a_value_reads_back_through_hydras_grammar(value):
    (override,) = OverridesParser.create().parse_overrides([f"key={override_value(value)}"])
    assert override.value() == value
