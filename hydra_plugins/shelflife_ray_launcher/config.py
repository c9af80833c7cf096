"""The launcher's structured config, registered as ``hydra/launcher=ray``.

No ``from __future__ import annotations``: Hydra's plugin scan executes this module
before it is in ``sys.modules``, where dataclasses cannot resolve string annotations.
"""

from dataclasses import dataclass

from hydra.core.config_store import ConfigStore


@dataclass
class RayLauncherConf:
    """Attributes:
    address: null starts Ray's local cluster on 127.0.0.1 (or joins the one this
        process started); ``auto`` joins a running cluster; ``ray://host:10001`` a
        remote one.
    num_cpus: CPUs of the local cluster (null: all); each job takes one.
    """

    _target_: str = "hydra_plugins.shelflife_ray_launcher.ray_launcher.RayLauncher"
    address: str | None = None
    num_cpus: int | None = None


ConfigStore.instance().store(
    group="hydra/launcher", name="ray", node=RayLauncherConf, provider="shelflife_ray_launcher"
)
