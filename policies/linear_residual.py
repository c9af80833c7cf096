"""A linear residual policy on the observation contract, for gradient-free search (CMA-ES).

Each store-SKU agent acts ``a = tanh(w · x + b)`` on its observation ``x``
(``sim.features``): the SKU-agent env's residual action, so ``w = 0, b = 0`` is
the base rule exactly. The parameters are a short vector a search can move
directly on chain profit; they are stored as JSON (names of the observation
entries, contract version, numbers), never pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ConfigError
from sim.features import N_OBSERVATION, OBSERVATION_NAMES, OBSERVATION_VERSION


@dataclass(frozen=True)
class LinearResidualPolicy:
    """``a = tanh(weights · x + bias)`` per agent, one residual dimension.

    Attributes:
        weights: [N_OBSERVATION] one weight per observation entry.
        bias: the constant term.
    """

    weights: np.ndarray
    bias: float = 0.0

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (N_OBSERVATION,) or not np.isfinite(w).all():
            raise ConfigError("weights", w.shape, f"{N_OBSERVATION} finite numbers")
        if not np.isfinite(self.bias):
            raise ConfigError("bias", self.bias, "a finite number")
        object.__setattr__(self, "weights", w)

    # ----------------------------------------------------------- as a vector
    N_PARAMS = N_OBSERVATION + 1

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> LinearResidualPolicy:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (cls.N_PARAMS,):
            raise ConfigError("theta", theta.shape, f"{cls.N_PARAMS} numbers")
        return cls(theta[:-1], float(theta[-1]))

    def to_vector(self) -> np.ndarray:
        return np.append(self.weights, self.bias)

    # ------------------------------------------------------ the policy API
    def reset(self, seed: int | None = None) -> None:
        """Nothing carried between episodes."""

    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, None]:
        """[agents, 1] actions in (-1, 1) for [agents, N_OBSERVATION] observations."""
        obs = np.asarray(observation, dtype=np.float64)
        return np.tanh(obs @ self.weights + self.bias)[:, None].astype(np.float32), None

    # ------------------------------------------------------------- storage
    def save(self, path: str | Path) -> None:
        doc = {
            "kind": "linear_residual",
            "observation": {"names": list(OBSERVATION_NAMES), "version": OBSERVATION_VERSION},
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }
        target = Path(path)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        tmp.replace(target)  # atomic: a reader sees the old file or the new one

    @classmethod
    def load(cls, path: str | Path) -> LinearResidualPolicy:
        doc = json.loads(Path(path).read_text())
        obs = doc.get("observation", {})
        if obs.get("names") != list(OBSERVATION_NAMES) or obs.get("version") != OBSERVATION_VERSION:
            raise ConfigError(
                f"{path}: observation",
                obs.get("version"),
                f"the observation contract version {OBSERVATION_VERSION!r} and its names",
            )
        return cls(np.asarray(doc["weights"], dtype=np.float64), float(doc["bias"]))
