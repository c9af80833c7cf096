"""Serve an exported policy: verified loading, recommendations, review feedback, HTTP.

Imports numpy, scipy, pydantic, onnxruntime, pandas (tables) and (for HTTP) fastapi /
uvicorn, plus the project's rule, alert, transfer and feature modules; never torch,
stable-baselines3, simpy, gymnasium, ``envs`` or ``sim.engine`` (an import-linter contract
and a test hold this), and nothing here unpickles.
"""

from policies.serving.errors import (
    PolicyFormatError,
    PolicyIntegrityError,
    ServingError,
    StateError,
)
from policies.serving.recommender import Recommendations, Recommender

__all__ = [
    "PolicyFormatError",
    "PolicyIntegrityError",
    "Recommendations",
    "Recommender",
    "ServingError",
    "StateError",
]
