"""The stable-baselines3 / sb3-contrib algorithm classes named in configs (``algo.class_path``)."""

from __future__ import annotations

import importlib

from sim.errors import ConfigError


def algo_class(path: str) -> type:
    """The SB3 algorithm named by ``module.Class`` (only stable-baselines3 / sb3-contrib)."""
    module_name, _, cls_name = path.rpartition(".")
    if module_name not in ("stable_baselines3", "sb3_contrib"):
        raise ConfigError("algo.class_path", path, "stable_baselines3.<Algo> or sb3_contrib.<Algo>")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, cls_name)
    except AttributeError:
        raise ConfigError("algo.class_path", path, f"an algorithm of {module_name}") from None
