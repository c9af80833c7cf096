"""Every registered id makes, resets and steps from a fresh interpreter in the form Gymnasium
supports for third-party packages (``"envs:ShelfLife/...-v0"``: Gymnasium imports ``envs``,
which registers the ids), and each env's docstring shows that form."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from envs import ENV_SPECS, VECTOR_ENTRY_POINTS

REPO = Path(__file__).resolve().parents[2]
MAKE_AND_STEP = """
import sys, gymnasium
env = gymnasium.make(sys.argv[1])
obs, info = env.reset(seed=0)
assert env.observation_space.contains(obs)
obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
print(env.spec.id, float(reward))
"""


@pytest.mark.parametrize("env_id", sorted(ENV_SPECS))
def test_a_fresh_interpreter_makes_and_steps_every_registered_id(env_id):
    out = subprocess.run(
        [sys.executable, "-c", MAKE_AND_STEP, f"envs:{env_id}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[0] == env_id


def test_a_fresh_interpreter_makes_the_batched_vector_env():
    code = (
        "import gymnasium\n"
        "v = gymnasium.make_vec('envs:ShelfLife/PerishableInventory-v0', num_envs=8,"
        " vectorization_mode='vector_entry_point')\n"
        "obs, info = v.reset(seed=0)\n"
        "print(type(v).__name__, obs.shape[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["PerishableInventoryVectorEnv", "8"]


ENTRY_POINTS = [(i, entry) for i, (entry, _) in ENV_SPECS.items()] + list(
    VECTOR_ENTRY_POINTS.items()
)


@pytest.mark.parametrize(("env_id", "entry_point"), ENTRY_POINTS)
def test_each_envs_docstring_shows_how_to_make_it(env_id, entry_point):
    module, cls = entry_point.split(":")
    doc = getattr(importlib.import_module(module), cls).__doc__
    assert f'"envs:{env_id}"' in doc, f"{cls}'s docstring does not show gymnasium.make"
