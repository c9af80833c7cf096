"""The Hydra ``Sweeper`` plugin class (thin: the loop is in ``_impl``, imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from .config import ShelfLifeOptunaSweeperConf, TPESamplerConf


class ShelfLifeOptunaSweeper(Sweeper):
    """Optuna TPE search over ``hydra.sweeper.params`` (see ``config.py`` for the settings)."""

    def __init__(
        self,
        direction: str,
        n_trials: int,
        n_jobs: int,
        sampler: Mapping[str, Any] | None,
        storage: str | None,
        study_name: str | None,
        params: Mapping[str, Any] | None,
    ) -> None:
        self.conf = ShelfLifeOptunaSweeperConf(
            direction=direction,
            n_trials=n_trials,
            n_jobs=n_jobs,
            sampler=TPESamplerConf(**_plain(sampler)),
            storage=storage,
            study_name=study_name,
            params=_plain(params),
        )
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher = None

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def sweep(self, arguments: list[str]) -> list[Sequence[JobReturn]]:
        """Run the study; returns the job returns per batch."""
        from ._impl import run_sweep

        assert self.config is not None and self.launcher is not None, "setup() first"
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        return run_sweep(self.conf, arguments, self._launch, sweep_dir)

    def _launch(self, batch: Sequence[Sequence[str]], first_job_idx: int) -> Sequence[JobReturn]:
        assert self.launcher is not None
        self.validate_batch_is_legal(batch)  # a key missing from the config fails here, early
        return self.launcher.launch(batch, initial_job_idx=first_job_idx)


def _plain(node: Mapping[str, Any] | None) -> dict[str, Any]:
    if node is None:
        return {}
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]
    return dict(node)
