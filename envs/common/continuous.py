"""A Discrete order quantity exposed as a one-dimensional Box, for continuous-action agents.

SAC (and other continuous-control algorithms) act in a box, best a symmetric
one. The wrapper maps ``a`` in ``[-1, 1]`` linearly to ``[0, n - 1]`` and
rounds to the nearest unit (half to even, numpy's ``rint``); an action outside
the box or not finite is refused with an ``ActionError`` naming the allowed
range, never clipped.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sim.errors import ActionError


class ContinuousOrders(gym.ActionWrapper, gym.utils.RecordConstructorArgs):
    """Box([-1], [1]) actions for an env with ``Discrete(n)`` orders: order = rint((a+1)/2·(n-1)).

    Args:
        env: an env whose action space is ``Discrete(n)`` (start 0).
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ActionWrapper.__init__(self, env)
        space = env.action_space
        if not isinstance(space, spaces.Discrete) or space.start != 0:
            raise TypeError(f"ContinuousOrders wraps Discrete(n) action spaces; got {space}")
        self.n = int(space.n)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def action(self, action: Any) -> int:
        arr = np.asarray(action, dtype=np.float64).reshape(-1)
        if arr.shape != (1,) or not np.isfinite(arr[0]) or not -1.0 <= arr[0] <= 1.0:
            raise ActionError(
                f"action: {np.asarray(action).tolist()!r}; allowed: one number in [-1, 1] "
                f"(mapped to orders 0..{self.n - 1})"
            )
        return int(np.rint((arr[0] + 1.0) / 2.0 * (self.n - 1)))
