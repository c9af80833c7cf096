"""The sweeper's structured config, registered as ``hydra/sweeper=shelflife_optuna``.

No ``from __future__ import annotations`` here: Hydra's plugin scan executes this
module before it is in ``sys.modules``, where dataclasses cannot resolve string
annotations.
"""

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from hydra.errors import CompactHydraException

from sim.errors import ConfigError

DIRECTIONS = ("minimize", "maximize")


class SweeperConfigError(ConfigError, CompactHydraException):
    """A sweeper setting was refused; names the field, the value and what is allowed.

    The project's ``ConfigError`` (field, value, allowed); Hydra prints a
    ``CompactHydraException`` as its message alone, without a traceback.
    """


@dataclass
class TPESamplerConf:
    """Optuna's TPE sampler.

    Attributes:
        seed: seeds the sampler's own generator; the same seed and the same
            results give the same sequence of sampled parameters.
        n_startup_trials: trials sampled at random before TPE takes over.
        multivariate: model the parameters jointly (Optuna marks it experimental).
        constant_liar: treat trials still running in a batch as bad ones, so a
            batch of ``n_jobs`` parallel trials does not sample one point ``n_jobs`` times.
    """

    seed: int | None = None
    n_startup_trials: int = 10
    multivariate: bool = False
    constant_liar: bool = True


@dataclass
class ShelfLifeOptunaSweeperConf:
    """``hydra.sweeper`` when ``hydra/sweeper=shelflife_optuna``.

    Attributes:
        direction: ``minimize`` or ``maximize`` the task function's return value.
        n_trials: trials run by this sweep (added to a study loaded from ``storage``).
        n_jobs: trials asked and launched together in one batch (the launcher may run
            them in parallel, e.g. ``hydra/launcher=joblib``).
        sampler: the TPE sampler's settings.
        storage: an Optuna storage URL (e.g. ``sqlite:///optuna.db``) to keep and
            resume the study; None keeps it in memory.
        study_name: the study's name in ``storage`` (None: Optuna picks one).
        params: the search space, ``{dotted.key: sweep}``, where a sweep is one of
            ``interval(low, high)``, ``int(interval(low, high))``,
            ``tag(log, interval(low, high))``, ``choice(a, b, ...)`` or
            ``range(start, stop[, step])`` (stop excluded, as in Python).
    """

    _target_: str = "hydra_plugins.shelflife_optuna_sweeper.optuna_sweeper.ShelfLifeOptunaSweeper"
    direction: str = "minimize"
    n_trials: int = 20
    n_jobs: int = 1
    sampler: TPESamplerConf = field(default_factory=TPESamplerConf)
    storage: str | None = None
    study_name: str | None = None
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise SweeperConfigError(
                "hydra.sweeper.direction", self.direction, " or ".join(DIRECTIONS)
            )
        for name in ("n_trials", "n_jobs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SweeperConfigError(f"hydra.sweeper.{name}", value, "an integer >= 1")


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="shelflife_optuna",
    node=ShelfLifeOptunaSweeperConf,
    provider="shelflife_optuna_sweeper",
)
