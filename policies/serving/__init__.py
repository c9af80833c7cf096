"""Serve an exported policy: verified loading, recommendations, review feedback, HTTP.

Imports only numpy, onnxruntime and (for HTTP) fastapi / uvicorn / pydantic,
plus the project's pure-numpy rule and feature modules; never torch,
stable-baselines3 or simpy (a test holds this), and nothing here unpickles.
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
