"""The launcher Hydra instantiates; Ray is imported when a sweep launches."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, open_dict

log = logging.getLogger(__name__)

# a local cluster stays on loopback: Ray reads the flag when it is first imported
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


class RayLauncher(Launcher):
    """Runs each job of a sweep as a Ray task (see the package docstring).

    Args:
        address: the cluster (null: the local one on 127.0.0.1).
        num_cpus: CPUs of the local cluster (null: all).
    """

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        return launch(self, job_overrides, initial_job_idx)

    def options(self) -> dict[str, Any]:
        """What ``ray.init`` is given (the local cluster listens on loopback only)."""
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if self.address is None:
            return options | {"address": "local", "num_cpus": self.num_cpus}
        return options | {"address": self.address}


def execute_job(
    idx: int,
    overrides: Sequence[str],
    hydra_context: HydraContext,
    config: DictConfig,
    task_function: TaskFunction,
    singleton_state: dict[Any, Any],
) -> JobReturn:
    """One job in a Ray worker: its sweep config, then ``run_job`` (as Hydra's joblib
    launcher does in its worker processes)."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(
        hydra_context=hydra_context,
        config=sweep_config,
        task_function=task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def launch(
    launcher: RayLauncher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """Every job as a Ray task (one CPU each); their returns in the order given. A job
    that raises is a ``JobReturn`` with its error, as with Hydra's other launchers."""
    import ray

    setup_globals()
    assert launcher.config is not None and launcher.hydra_context is not None
    assert launcher.task_function is not None
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        ray.init(**launcher.options())
    log.info(f"Ray is launching {len(job_overrides)} jobs, sweep output dir: {sweep_dir}")
    for idx, overrides in enumerate(job_overrides):
        log.info(f"\t#{initial_job_idx + idx} : {' '.join(filter_overrides(overrides))}")
    remote = ray.remote(num_cpus=1, max_retries=0)(execute_job)
    state = Singleton.get_state()
    refs = [
        remote.remote(
            initial_job_idx + idx,
            list(overrides),
            launcher.hydra_context,
            launcher.config,
            launcher.task_function,
            state,
        )
        for idx, overrides in enumerate(job_overrides)
    ]
    return ray.get(refs)
