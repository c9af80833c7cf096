"""Export a trained or tuned policy as a folder the serving module verifies and runs.

This side may use the training stack (torch, stable-baselines3, the simulator);
``policies.serving`` must not.
"""
