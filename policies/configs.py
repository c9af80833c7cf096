"""Where the policy configs live, and a policy's config with its tuned parameters merged in.

``configs/policy/<name>.yaml`` holds a policy's ``_target_`` and untuned defaults;
a tuning run (``experiments.tune_baselines``) publishes the best parameters as
``<tuned_dir>/<scenario>/<name>.json``. The what-if (``experiments.evaluate``),
the tuner and the export (``policies.export``) compose the two the same way here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "configs" / "policy"


def _raw_policy_file(name: str) -> dict[str, Any]:
    path = POLICY_DIR / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))
        raise ConfigError("policies", name, f"names in configs/policy: {known} (or rl_models keys)")
    return OmegaConf.to_container(OmegaConf.load(path), resolve=True)


def policy_file(name: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """``configs/policy/<name>.yaml``; a file with ``extends: <base>`` is the base's
    config with its own values merged in (a variant that adds a component to a policy)."""
    if name in _seen:
        raise ConfigError("extends", " -> ".join((*_seen, name)), "no policy extending itself")
    conf = _raw_policy_file(name)
    base = conf.pop("extends", None)
    if base is None:
        return conf
    return merge_tuned(policy_file(str(base), (*_seen, name)), conf, new_keys=True)


RUN_SETTINGS = ("refresh_hours", "forecaster")  # how a policy is run, not its parameters


def split_run_settings(conf: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the config to instantiate, its run settings: ``refresh_hours``, ``forecaster``)."""
    settings = {k: conf[k] for k in RUN_SETTINGS if k in conf}
    return {k: v for k, v in conf.items() if k not in RUN_SETTINGS}, settings


def tuned_name(name: str) -> str:
    """Whose tuning a policy uses: its own, or its base's when it ``extends`` one (the
    variant runs its base tuned as it is, plus what it adds)."""
    base = _raw_policy_file(name).get("extends")
    return name if base is None else tuned_name(str(base))


def tuned_file(name: str, cfg: DictConfig, scenario: str | None = None) -> Path:
    """Where the tuned parameters of ``name`` on ``scenario`` are published (its base's,
    for a policy that ``extends`` another)."""
    root = Path(cfg.tuned_dir) if Path(cfg.tuned_dir).is_absolute() else REPO / cfg.tuned_dir
    return root / (scenario or cfg.scenario) / f"{tuned_name(name)}.json"


def merge_tuned(
    conf: Mapping[str, Any], tuned: Mapping[str, Any], *, new_keys: bool = False
) -> dict[str, Any]:
    """The config with tuned values (or overrides) merged in.

    Top-level keys the config does not have are skipped unless ``new_keys``: in a
    tuning result they are grid coordinates, not constructor fields. A nested
    object (``transfers``) is updated field by field when the new value builds the
    same ``_target_`` (or names none), and replaced whole when it builds another
    one (``replenishment``: a composite's baseline may be another rule than the
    config's, whose fields would not fit).
    """
    out = dict(conf)
    for key, value in tuned.items():
        if key not in out and not new_keys:
            continue
        current = out.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(current, Mapping)
            and value.get("_target_", current.get("_target_")) == current.get("_target_")
        ):
            out[key] = merge_tuned(current, value, new_keys=True)
        else:
            out[key] = value
    return out


def policy_config(name: str, cfg: DictConfig, scenario: str | None = None) -> dict[str, Any]:
    """The policy's config file, with tuned parameters and overrides merged in.

    Args:
        scenario: whose tuned parameters to use (the study's scenario by default).
    """
    conf = policy_file(name)
    tuned = tuned_file(name, cfg, scenario)
    if cfg.tuned and tuned.exists():
        conf = merge_tuned(conf, json.loads(tuned.read_text())["best_params"])
    overrides = OmegaConf.to_container(cfg.policy_overrides, resolve=True).get(name, {})
    return merge_tuned(conf, overrides, new_keys=True)


def tuned_cfg(scenario: str, tuned_dir: str | Path = "reports/baseline") -> DictConfig:
    """The study settings ``policy_config`` reads to merge a scenario's published tuning."""
    return OmegaConf.create(
        {"tuned_dir": str(tuned_dir), "scenario": scenario, "tuned": True, "policy_overrides": {}}
    )


def tuned_rule(name: str, scenario: str, tuned_dir: str = "reports/baseline") -> Any:
    """The rule ``configs/policy/<name>.yaml`` built with its published tuned parameters.

    For configs that need a tuned rule as an object, e.g. the SKU-agent env's
    ``base_rule`` (``_target_: policies.configs.tuned_rule``).
    """
    from hydra.utils import instantiate

    cfg = tuned_cfg(scenario, tuned_dir)
    tuned = tuned_file(name, cfg)
    if not tuned.exists():
        raise ConfigError(
            "base_rule", f"{name} on {scenario}", f"a published tuning ({tuned} is missing)"
        )
    return instantiate(policy_config(name, cfg))


def tuned_transfers(scenario: str, tuned_dir: str = "reports/baseline") -> Any:
    """The tuned ``transfer_rules`` policy's transfer rules (a planner for the SKU-agent env's
    ``transfer_policy`` and the transfer searches' start)."""
    return tuned_rule("transfer_rules", scenario, tuned_dir).transfers


def load_transfer_planner(path: str) -> Any:
    """A transfer planner saved as JSON (``policies.learned_transfers.save_planner``)."""
    from policies.learned_transfers import load_planner

    return load_planner(path)


def config_target(name: str) -> str:
    """The ``_target_`` of ``configs/policy/<name>.yaml`` (the class that builds the rule)."""
    return str(OmegaConf.load(POLICY_DIR / f"{name}.yaml")["_target_"])
