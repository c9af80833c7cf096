"""The training bar ends at its budget although PPO collects whole rollouts past it (SB3's
own bar showed more than 100 %)."""

import gymnasium as gym
from stable_baselines3 import PPO

import envs  # noqa: F401 - registers the ids
from experiments.train import TrainingProgress


def test_the_training_bar_ends_at_the_budget_not_past_it():
    model = PPO("MlpPolicy", gym.make("ShelfLife/PerishableInventory-v0"), n_steps=256,
                batch_size=64, n_epochs=1, device="cpu", seed=0)  # fmt: skip
    bar = TrainingProgress(300, "test", show=True)
    model.learn(300, callback=bar)
    assert model.num_timesteps == 512  # two whole rollouts: past the budget
    assert bar.steps_shown == 300 and bar.total == 300
