"""Every store-SKU as one sub-environment of a vector env, all stepped by one simulator.

One shared per-(store, SKU) policy sees its local features and acts for its
store-SKU; its reward is that store-SKU's profit contribution. One simulator
step therefore feeds thousands of agent steps to an RL library.

``SkuAgents`` holds the logic; ``SkuAgentVectorEnv`` exposes it as a Gymnasium
``VectorEnv`` and ``policies.rl.vec_env.SkuAgentVecEnv`` as a stable-baselines3
``VecEnv`` (so ``PPO("MlpPolicy", vec_env)`` trains with no glue code).

Per agent:

* observation: ``Box(-1, 50, (29,), float32)``: the observation contract
  (``sim.features.OBSERVATION_NAMES``, version 2): 27 store-SKU features with
  the economics, then ``is_order_step`` (1 at the daily ordering step) and
  ``hour / 24`` of the step;
* action (``action_mode="packs"``, the default): ``Discrete(max_order_packs + 1)``
  case packs to order; with transfers,
  ``MultiDiscrete([max_order_packs + 1, 2·max_transfer_units + 1])``:
  (packs, intent + max_transfer_units), intents routed by the matcher
  (nearest surplus first within the radius). Orders only count at the
  ordering step;
* action (``action_mode="residual"``): ``Box(-1, 1, (1,))`` (``(2,)`` with
  transfers), a residual on a tuned rule (``base_rule``, e.g. the perishable
  base stock): the rule orders on the agent's forecast times
  ``max_multiplier ** a[0]``, so ``a = 0`` reproduces the rule exactly and a
  policy initialised near 0 starts from it; ``a[1]`` is the transfer intent
  ``rint(a[1] · max_transfer_units)``. The base rule also replaces the
  order-up-to baseline of the warm-up and of stores not controlled;
* transfers by a planner (``transfer_policy``, instead of the intents): at each
  ordering step, before the orders, a planner with the transfer rules'
  interface (``policies.transfers.TransferRules``, the learned
  ``policies.learned_transfers`` planners) plans from the controlled stores'
  surplus and its transfers are sent (``core.last_planned_transfers`` holds them
  with their reasons); with the tuned rules as planner and ``a = 0`` the env
  reproduces the tuned ``transfer_rules`` policy;
* reward: the store-SKU's share of the chain's profit over the step (see
  ``envs.retail.reward``): its own sales, costs, waste and holding, plus its
  share of the trucks', the couriers' and the DC's holding and expiry, so the
  agents' rewards add up to the change of the chain's ``profit`` KPI (tested to
  the cent over 30 days of random actions, with and without transfers);
  ``stockout_penalty_per_unit`` is the one shaping term (0 by default);

All agents end their episode together after ``episode_days`` days
(truncation); the vector env then resets the simulator with the next seed
from its generator and returns the new episode's first observation in the
same step (Gymnasium's SAME_STEP autoreset: the last observation is in
``infos["final_obs"]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from envs.common.actions import validate_box, validate_multidiscrete
from envs.retail.config import Control, RetailEnvConfig
from envs.retail.core import RetailCore, StepDecisions
from sim.errors import ConfigError
from sim.features import CLIP, N_OBSERVATION, OBSERVATION_NAMES, observations

AGENT_FEATURES = OBSERVATION_NAMES  # the observation contract (sim.features)
N_AGENT_FEATURES = N_OBSERVATION


class SkuAgents:
    """The agents of one scenario: spaces, encoding, stepping. No RL-library types.

    Args:
        episode_days: days per episode (all agents together).
        **config: ``RetailEnvConfig`` fields; ``controls`` may hold
            STORE_ORDERS and TRANSFERS (DC orders stay with the DCs' standing rule).
    """

    def __init__(
        self,
        episode_days: int = 28,
        *,
        action_mode: str = "packs",
        base_rule: Any = None,
        max_multiplier: float = 4.0,
        transfer_policy: Any = None,
        **config: Any,
    ) -> None:
        # the agents always order; ``controls=TRANSFERS`` (e.g. from a config) adds transfers
        config["controls"] = Control.parse(config.get("controls", Control.STORE_ORDERS))
        if Control.TRANSFERS in config["controls"]:
            config["controls"] |= Control.STORE_ORDERS
        cfg = RetailEnvConfig(**config)
        if Control.DC_ORDERS in cfg.controls or Control.STORE_ORDERS not in cfg.controls:
            raise ConfigError("controls", cfg.controls, "STORE_ORDERS, optionally | TRANSFERS")
        if episode_days < 1:
            raise ConfigError("episode_days", episode_days, "an integer >= 1")
        self.config = cfg
        self.episode_days = int(episode_days)
        self.core = RetailCore(cfg)
        self.num_agents = len(self.core.agent_index)
        if self.num_agents == 0:
            raise ConfigError("stores", cfg.stores, "stores with at least one SKU they may order")
        self.transfers = Control.TRANSFERS in cfg.controls
        self.steps_per_episode = self.episode_days * len(self.core.step_hours)
        self.observation_space = spaces.Box(-1.0, CLIP, shape=(N_AGENT_FEATURES,), dtype=np.float32)
        if action_mode not in ("packs", "residual"):
            raise ConfigError("action_mode", action_mode, "'packs' or 'residual'")
        if base_rule is not None and not callable(getattr(base_rule, "decide", None)):
            raise ConfigError("base_rule", base_rule, "a rule with decide(view) (or None)")
        if action_mode == "residual" and base_rule is None:
            raise ConfigError("base_rule", None, "the tuned rule the residual acts on")
        if not (isinstance(max_multiplier, int | float) and 1.0 < max_multiplier <= 100.0):
            raise ConfigError("max_multiplier", max_multiplier, "a number in (1, 100]")
        self.action_mode = action_mode
        self.max_multiplier = float(max_multiplier)
        self.core.base_rule = base_rule
        self.set_transfer_policy(transfer_policy)
        if action_mode == "residual":
            dims = 2 if self.transfers else 1
            self.action_space = spaces.Box(-1.0, 1.0, shape=(dims,), dtype=np.float32)
            self._batch_action_space = spaces.Box(
                -1.0, 1.0, shape=(self.num_agents, dims), dtype=np.float32
            )
        elif self.transfers:
            self.action_space: spaces.Space = spaces.MultiDiscrete(
                [cfg.max_order_packs + 1, 2 * cfg.max_transfer_units + 1]
            )
            self._batch_action_space = spaces.MultiDiscrete(
                np.tile(self.action_space.nvec, (self.num_agents, 1))
            )
        else:
            self.action_space = spaces.Discrete(cfg.max_order_packs + 1)
            self._batch_action_space = spaces.MultiDiscrete(
                np.full(self.num_agents, cfg.max_order_packs + 1)
            )
        self.steps_in_episode = 0
        self.render_mode: str | None = None  # no rendering per agent; read the core's simulator
        net = self.core.network
        self.agent_store = self.core.agent_index // net.n_skus
        self.agent_sku = self.core.agent_index % net.n_skus

    def set_transfer_policy(self, planner: Any) -> None:
        """Use ``planner`` (or None: no planned transfers) from the next step or episode on."""
        if planner is not None:
            if not callable(getattr(planner, "plan", None)):
                raise ConfigError("transfer_policy", planner, "a planner with plan(TransferInputs)")
            if self.transfers:
                raise ConfigError(
                    "transfer_policy",
                    type(planner).__name__,
                    "no planner with controls=TRANSFERS (the agents' intents decide transfers)",
                )
            if self.core.network.couriers is None:
                raise ConfigError(
                    "transfer_policy", self.config.scenario, "a scenario with couriers"
                )
        self.core.transfer_planner = planner

    def reset(self, sim_seed: int) -> np.ndarray:
        self.core.reset(sim_seed)
        self.steps_in_episode = 0
        return self.observe()

    def observe(self) -> np.ndarray:
        """[agents, N_AGENT_FEATURES] float32."""
        core = self.core
        return observations(
            core.view(),
            is_order_step=1.0 if core.is_decision_step else 0.0,
            hour_of_day=float(core.step_hours[core.step_index]),
            rows=core.agent_index,
        )

    def step(self, actions: object) -> tuple[np.ndarray, bool]:
        """Apply a batch of actions and run to the next step.

        Returns:
            (rewards [agents] float64, episode_over).
        """
        arr = np.asarray(actions)
        shape = self._batch_action_space.shape
        if arr.size == int(np.prod(shape)):
            arr = arr.reshape(
                shape
            )  # SB3 may pass (n, 1) for Discrete; anything else is refused below
        if self.action_mode == "residual":
            values = validate_box(arr, self._batch_action_space, "actions")
            # a planner's transfers go first, as the rules' (orders see the stock that left)
            self._plan_transfers()
            self.core.apply(self._residual_decisions(values))
            return self._advance()
        values = validate_multidiscrete(arr, self._batch_action_space, "actions")
        self._plan_transfers()
        net = self.core.network
        shape = (net.n_stores, net.n_skus)
        packs = values[:, 0] if self.transfers else values
        orders = np.zeros(net.n_stores * net.n_skus, dtype=np.int64)
        orders[self.core.agent_index] = packs * self.core.pack_units[self.agent_sku]
        decisions = StepDecisions(store_order_units=orders.reshape(shape))
        if self.transfers:
            intent = np.zeros(net.n_stores * net.n_skus, dtype=np.int64)
            intent[self.core.agent_index] = values[:, 1] - self.config.max_transfer_units
            decisions.transfer_intent_units = intent.reshape(shape)
        self.core.apply(decisions)
        return self._advance()

    def _plan_transfers(self) -> None:
        if self.core.is_decision_step:
            self.core.plan_transfers()
        else:
            self.core.last_planned_transfers = []

    def _residual_decisions(self, values: np.ndarray) -> StepDecisions:
        """The base rule on each agent's forecast × ``max_multiplier ** a[0]`` (a = 0: the rule),
        for validated actions."""
        core = self.core
        net = core.network
        decisions = StepDecisions()
        if core.is_decision_step:
            forecast = core.forecast.copy().reshape(-1)
            forecast[core.agent_index] *= self.max_multiplier ** values[:, 0]
            decisions.store_order_units = core.rule_orders(forecast.reshape(core.forecast.shape))
        if self.transfers:
            intent = np.zeros(net.n_stores * net.n_skus, dtype=np.int64)
            intent[core.agent_index] = np.rint(values[:, 1] * self.config.max_transfer_units)
            decisions.transfer_intent_units = intent.reshape(net.n_stores, net.n_skus)
        return decisions

    def _advance(self) -> tuple[np.ndarray, bool]:
        profit = self.core.advance()
        self.steps_in_episode += 1
        rewards = profit.reshape(-1)[self.core.agent_index]  # float64: money adds up to the cent
        return rewards, self.steps_in_episode >= self.steps_per_episode


class SkuAgentVectorEnv(VectorEnv):
    """Gymnasium ``VectorEnv`` with one sub-environment per store-SKU.

    Args:
        episode_days: days per episode.
        **config: ``RetailEnvConfig`` fields (``scenario``, ``stores``, ``controls``, ...).
    """

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}  # noqa: RUF012 - Gymnasium's convention

    def __init__(self, episode_days: int = 28, **config: Any) -> None:
        self.agents = SkuAgents(episode_days=episode_days, **config)
        self.num_envs = self.agents.num_agents
        self.single_observation_space = self.agents.observation_space
        self.single_action_space = self.agents.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = None
        self.closed = False

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        return self.agents.reset(self._next_sim_seed()), {}

    def _next_sim_seed(self) -> int:
        return int(self.np_random.integers(0, 2**62))

    def step(self, actions: object):
        rewards, over = self.agents.step(actions)
        rewards = rewards.astype(np.float32)
        n = self.num_envs
        terminations = np.zeros(n, dtype=bool)
        truncations = np.full(n, over)
        infos: dict[str, Any] = {}
        if over:
            infos["final_obs"] = self.agents.observe()
            infos["_final_obs"] = np.ones(n, dtype=bool)
            infos["final_info"] = {}
            infos["_final_info"] = np.ones(n, dtype=bool)
            obs = self.agents.reset(self._next_sim_seed())
        else:
            obs = self.agents.observe()
        return obs, rewards, terminations, truncations, infos
