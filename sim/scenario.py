"""Named scenarios: a network config plus its demand config, composed by Hydra.

A scenario ``name`` is ``configs/network/<name>.yaml`` together with
``configs/demand/<name>.yaml``, composed through ``configs/sim.yaml``::

    scenario = load_scenario("yogurt_trio", overrides=["network.couriers.size=5"])
    demand = build_demand_source(scenario)

``load_network`` composes the network alone (no demand config needed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from sim.config import build_network
from sim.spec import NetworkSpec

if TYPE_CHECKING:
    from sim.demand.base import DemandSource

__all__ = [
    "CONFIG_DIR",
    "Scenario",
    "build_demand_source",
    "compose_sim_config",
    "list_scenarios",
    "load_network",
    "load_scenario",
]

# The repository's configs/, found from this package (sim/ sits at the repo root).
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


@dataclass(frozen=True)
class Scenario:
    """A composed scenario.

    Attributes:
        name: the scenario name (the network and demand config names).
        network: the validated network.
        demand_cfg: the demand config as plain dicts and lists (interpolations resolved).
        seed: the composed ``seed`` (the episode seed).
        days: the composed ``days`` (the horizon).
        config_dir: the config directory it was composed from. Relative paths in
            the demand config (sales tables) start from its parent, the project
            root (``data/sales.csv``, not ``../data/sales.csv``).
        overrides: the Hydra overrides it was composed with (a variant; empty: as shipped).
    """

    name: str
    network: NetworkSpec
    demand_cfg: dict
    seed: int = 0
    days: int = 14
    config_dir: Path | None = None
    overrides: tuple[str, ...] = ()


def compose_sim_config(
    name: str,
    overrides: Sequence[str] = (),
    config_dir: Path | None = None,
    *,
    with_demand: bool = True,
) -> DictConfig:
    """Compose ``sim.yaml`` for a scenario with Hydra's compose API.

    Works whether or not Hydra is already initialised (e.g. inside a
    ``@hydra.main`` app): the global Hydra state is saved and restored.

    Args:
        name: network (and demand) config name.
        overrides: further Hydra overrides, e.g. ``["days=7", "network.couriers.size=2"]``.
        config_dir: the config directory; defaults to the repository's ``configs/``.
        with_demand: False drops the demand group (a network on its own).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    directory = Path(config_dir or CONFIG_DIR).resolve()
    group_overrides = [f"network={name}", f"demand={name}" if with_demand else "~demand"]
    backup = get_gh_backup()
    if GlobalHydra.instance().is_initialized():
        GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=str(directory)):
            return compose(config_name="sim", overrides=[*group_overrides, *overrides])
    finally:
        restore_gh_from_backup(backup)


def load_scenario(
    name: str, overrides: Sequence[str] = (), config_dir: Path | None = None
) -> Scenario:
    """Compose and build a named scenario.

    Args:
        name: a name from ``list_scenarios()``.
        overrides: further Hydra overrides (``network.*``, ``demand.*``, ``seed``, ``days``).
        config_dir: the config directory; defaults to the repository's ``configs/``.

    Raises:
        hydra.errors.MissingConfigException: no such network or demand config.
        ConfigError: the network config is invalid.
    """
    directory = Path(config_dir or CONFIG_DIR).resolve()
    cfg = compose_sim_config(name, overrides, directory)
    demand = OmegaConf.to_container(cfg.demand, resolve=True)
    return Scenario(
        name=name,
        network=build_network(cfg.network, name=name),
        demand_cfg=_as_dict(demand),
        seed=int(cfg.get("seed", 0)),
        days=int(cfg.get("days", 14)),
        config_dir=directory,
        overrides=tuple(overrides),
    )


def load_network(
    name: str, overrides: Sequence[str] = (), config_dir: Path | None = None
) -> NetworkSpec:
    """Compose and build a network config alone (``network.*`` overrides only)."""
    cfg = compose_sim_config(name, overrides, config_dir, with_demand=False)
    return build_network(cfg.network, name=name)


def build_demand_source(scenario: Scenario) -> DemandSource:
    """The scenario's demand model, built by ``sim.demand.config.build_demand``.

    Imported lazily: the demand package is optional for network-only work.
    Relative sales-table paths start from the project root (the parent of
    ``scenario.config_dir``).
    """
    from sim.demand.config import build_demand

    base_dir = scenario.config_dir.parent if scenario.config_dir is not None else None
    return build_demand(scenario.demand_cfg, scenario.network, base_dir=base_dir)


def list_scenarios(config_dir: Path | None = None) -> list[str]:
    """Names of the shipped network configs (``configs/network/*.yaml``), sorted."""
    directory = Path(config_dir or CONFIG_DIR)
    return sorted(p.stem for p in (directory / "network").glob("*.yaml"))


def _as_dict(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"demand config: got {type(value).__name__}; allowed: a mapping")
    return value


_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_KEYWORDS = frozenset({"null", "true", "false", "nan", "inf"})


def override_value(value: Any) -> str:
    """``value`` as override text Hydra parses back to the same value and type: scalars,
    lists and mappings (the scenario overrides of ``experiments.scenario_choice``, the
    Optuna sweeper's sampled values)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ",".join(override_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{override_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if _BARE.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
