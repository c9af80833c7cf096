"""Shared test settings."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=40
)
settings.load_profile("default")

pytest_plugins = ["tests.exported_policies"]  # trained-and-exported policies (session fixtures)
