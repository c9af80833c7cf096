"""A stable-baselines3 policy's deterministic action scores as an ONNX graph.

The graph maps a batch of (normalised) observations to one score per discrete
action: the actor's logits for PPO / A2C, the Q-values for DQN. The policy's
deterministic action is the arg-max of these scores in both cases, so the
serving side needs no distribution code. For a one-dimensional ``Box`` action
(the residual action of PPO / A2C) the graph gives the Gaussian's mean, which is
the deterministic action before SB3 clips it to the box.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import torch
from gymnasium import spaces

INPUT = "obs"
OUTPUT = "scores"
OPSET = 17


class _ActorScores(torch.nn.Module):
    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.policy = policy

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        p = self.policy
        features = p.extract_features(obs, p.pi_features_extractor)
        return p.action_net(p.mlp_extractor.forward_actor(features))


class _QScores(torch.nn.Module):
    def __init__(self, policy: Any) -> None:
        super().__init__()
        self.q_net = policy.q_net

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.q_net(obs)


def scores_module(model: Any) -> torch.nn.Module:
    """The torch module computing the action scores of ``model`` (PPO, A2C or DQN)."""
    space = model.action_space
    residual = isinstance(space, spaces.Box) and space.shape == (1,)
    if not isinstance(space, spaces.Discrete) and not residual:
        raise ValueError(
            "export supports Discrete action spaces (order packs) and the one-dimensional "
            f"residual Box; got {space}"
        )
    policy = model.policy
    if residual and not hasattr(policy, "action_net"):
        raise ValueError(f"cannot export a {type(policy).__name__} residual: PPO or A2C only")
    if hasattr(policy, "q_net"):
        return _QScores(policy).eval()
    if hasattr(policy, "action_net") and hasattr(policy, "mlp_extractor"):
        return _ActorScores(policy).eval()
    raise ValueError(f"cannot export a {type(policy).__name__}: PPO, A2C or DQN policies only")


def export_onnx(model: Any) -> bytes:
    """The ONNX bytes of ``model``'s action scores (dynamic batch size)."""
    module = scores_module(model)
    n_obs = int(np.prod(model.observation_space.shape))
    dummy = torch.zeros((2, n_obs), dtype=torch.float32)
    buffer = io.BytesIO()
    # The TorchScript exporter handles these small MLPs exactly (parity to 1e-6) in about
    # a second; torch 2.13 flags it as legacy, the dynamo path takes ~10 s and logs noise.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (dummy,),
            buffer,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def torch_scores(model: Any, observations: np.ndarray) -> np.ndarray:
    """The same scores computed by torch (for parity checks)."""
    module = scores_module(model)
    with torch.no_grad():
        return module(torch.as_tensor(observations, dtype=torch.float32)).numpy()
