"""Reinforcement-learning glue: stable-baselines3 adapters over the ShelfLife envs."""
