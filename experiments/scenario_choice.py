"""The scenario a what-if or a tuning runs on, as Hydra composed it.

``configs/scenario/<name>.yaml`` composes a scenario's network and demand configs under
``scenario``, so every value is an ordinary Hydra override on the command line:
``scenario=yogurt_trio scenario.network.couriers.size=5``. The pipelines work with the
scenario's name plus the Hydra overrides of ``sim.scenario.load_scenario`` (picklable and
short, for worker processes and the report): ``select_scenario`` turns the composed group
into exactly that, the overrides being the values that differ from the shipped configs.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from sim.scenario import compose_sim_config, override_value

PERISHABLE = "perishable"  # PerishableInventory-v0: no network, no demand config


def select_scenario(cfg: DictConfig) -> None:
    """Replace a composed ``cfg.scenario`` by its name and prepend the overrides it carries
    to ``cfg.scenario_overrides``, in place; a name (``study.yaml``, code) is left as is."""
    node = cfg.get("scenario")
    if not isinstance(node, DictConfig):
        return
    OmegaConf.resolve(cfg)  # interpolations of the name (study: ${scenario.name}_whatif) first
    name = str(node.name)
    overrides: list[str] = []
    if name != PERISHABLE:
        shipped = compose_sim_config(name)
        for group in ("network", "demand"):
            overrides += changed(
                group,
                OmegaConf.to_container(shipped[group], resolve=True),
                OmegaConf.to_container(node[group], resolve=True),
            )
    with open_dict(cfg):
        cfg.scenario = name
        cfg.scenario_overrides = [*overrides, *cfg.get("scenario_overrides", [])]


def changed(path: str, shipped: Any, chosen: Any) -> list[str]:
    """The Hydra overrides that turn ``shipped`` into ``chosen`` below ``path``."""
    if isinstance(shipped, dict) and isinstance(chosen, dict):
        out = [f"~{path}.{key}" for key in shipped if key not in chosen]
        for key, value in chosen.items():
            if key not in shipped:
                out.append(f"+{path}.{key}={override_value(value)}")
            else:
                out += changed(f"{path}.{key}", shipped[key], value)
        return out
    if isinstance(shipped, list) and isinstance(chosen, list) and len(shipped) == len(chosen):
        return [o for i, (a, b) in enumerate(zip(shipped, chosen, strict=True))
                for o in changed(f"{path}.{i}", a, b)]  # fmt: skip
    same = type(shipped) is type(chosen) and shipped == chosen
    return [] if same else [f"{path}={override_value(chosen)}"]
