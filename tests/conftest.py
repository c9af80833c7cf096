"""Shared test settings."""

import torch
from hypothesis import HealthCheck, settings

# the project's CPU default (STACK.md), and what lets a test fork a process that uses torch:
# a forked intra-op thread pool can hang the child
torch.set_num_threads(1)

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=40
)
settings.load_profile("default")

pytest_plugins = ["tests.exported_policies"]  # trained-and-exported policies (session fixtures)
