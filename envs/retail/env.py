"""The multi-SKU retail environments: store replenishment, city transfers, the network."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.common.actions import validate_multidiscrete
from envs.common.render import table
from envs.retail.config import Control, RetailEnvConfig
from envs.retail.core import RetailCore, StepDecisions
from sim.errors import ConfigError
from sim.features import CLIP, N_FEATURES

DC_FEATURES = ("on_hand", "on_order", "backlog", "expected_demand")
DC_CLIP = 1e6


class RetailEnv(gym.Env):
    """Shared machinery; see the subclasses for the documented environments.

    The agents of an env are its controlled store-SKUs (controlled stores × SKUs
    they may order), in store-major order: ``info["agent_store"]`` and
    ``info["agent_sku"]`` (from ``reset``) name them.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}  # noqa: RUF012 - Gymnasium's convention
    default_controls = Control.STORE_ORDERS

    def __init__(
        self, config: RetailEnvConfig | None = None, render_mode: str | None = None, **kwargs: Any
    ) -> None:
        if config is None:
            kwargs.setdefault("controls", self.default_controls)
            config = RetailEnvConfig(**kwargs)
        elif kwargs:
            raise ConfigError(
                "kwargs", sorted(kwargs), "either a RetailEnvConfig or keyword arguments, not both"
            )
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError("render_mode", render_mode, "None or 'ansi'")
        self.render_mode = render_mode
        self.config = config
        self.core = RetailCore(config)
        net = self.core.network
        self.n_agents = len(self.core.agent_index)
        if self.n_agents == 0:
            raise ConfigError(
                "stores", config.stores, "stores with at least one SKU they may order"
            )
        cfg = config
        # the action vector's parts: (name, size, offset), name in store_orders / dc_orders / transfers
        self.action_layout: list[tuple[str, int, int]] = []
        nvec: list[np.ndarray] = []
        if Control.STORE_ORDERS in cfg.controls:
            nvec.append(np.full(self.n_agents, cfg.max_order_packs + 1))
            self.action_layout.append(("store_orders", self.n_agents, 0))
        if Control.DC_ORDERS in cfg.controls:
            nvec.append(np.full(net.n_dcs * net.n_skus, cfg.max_dc_order_packs + 1))
            self.action_layout.append(("dc_orders", net.n_dcs * net.n_skus, 0))
        if Control.TRANSFERS in cfg.controls:
            nvec.append(np.full(self.n_agents, 2 * cfg.max_transfer_units + 1))
            self.action_layout.append(("transfers", self.n_agents, 0))
        offset = 0
        for i, (name, size, _) in enumerate(self.action_layout):
            self.action_layout[i] = (name, size, offset)
            offset += size
        self.action_space = spaces.MultiDiscrete(np.concatenate(nvec).astype(np.int64))
        # flat, agent-major (obs[a * N_FEATURES + f]): SB3's MLP policies expect 1-D vectors
        store_box = spaces.Box(-1.0, CLIP, shape=(self.n_agents * N_FEATURES,), dtype=np.float32)
        if Control.DC_ORDERS in cfg.controls:
            n_dc_rows = net.n_dcs * net.n_skus * len(DC_FEATURES)
            dc_box = spaces.Box(0.0, DC_CLIP, shape=(n_dc_rows,), dtype=np.float32)
            self.observation_space = spaces.Dict({"store_sku": store_box, "dc_sku": dc_box})
        else:
            self.observation_space = store_box
        self._supplier_pack = self._dc_pack_units()
        self._episode_profit = 0.0
        self._last_info: dict[str, Any] = {}

    def _dc_pack_units(self) -> np.ndarray:
        net = self.core.network
        packs = np.array(
            [
                s.case_pack_units if s.case_pack_units else 0
                for s in (net.suppliers[int(k)] for k in net.skus.supplier)
            ],
            dtype=np.int64,
        )
        return np.where(packs > 0, packs, net.skus.case_pack.astype(np.int64))

    # ------------------------------------------------------------------ API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        sim_seed = int(self.np_random.integers(0, 2**62))
        self.core.reset(sim_seed)
        self._episode_profit = 0.0
        self._last_info = {}
        stores = self.core.agent_index // self.core.network.n_skus
        skus = self.core.agent_index % self.core.network.n_skus
        info = {
            "sim_seed": sim_seed,
            "agent_store": [self.core.network.stores[i].store_id for i in stores],
            "agent_sku": [self.core.network.skus.ids[i] for i in skus],
        }
        return self._observe(), info

    def step(self, action: object):
        if self.core.sim is None:
            raise RuntimeError("call reset() before step()")
        values = validate_multidiscrete(action, self.action_space)
        decisions = self._decode(values)
        self.core.apply(decisions)
        before = self.core.sim.counters_view()
        lost0, sold0, demand0, wasted0 = (
            int(before.store.lost_units.sum()),
            int(before.store.sold_units.sum()),
            int(before.store.demand_units.sum()),
            int(before.store.wasted_units.sum()),
        )
        profit = self.core.advance()  # DC costs included (envs.retail.reward)
        reward = float(profit.reshape(-1)[self.core.agent_index].sum())
        self._episode_profit += reward
        c = self.core.sim.counters_view().store
        demand = int(c.demand_units.sum()) - demand0
        sold = int(c.sold_units.sum()) - sold0
        info = {
            "profit": reward,
            "demand_units": demand,
            "sold_units": sold,
            "lost_units": int(c.lost_units.sum()) - lost0,
            "wasted_units": int(c.wasted_units.sum()) - wasted0,
            "fill_rate": sold / demand if demand else 1.0,
            "transfer_units": self.core.last_transfer_units,
            "release_clipped_units": self.core.last_release_clipped_units,
            "episode_profit": self._episode_profit,
            "kpis": self.core.sim.kpis().chain,
        }
        self._last_info = info
        return self._observe(), reward, False, False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.core.sim is None:
            return None
        snap = self.core.sim.snapshot()
        net = self.core.network
        rows = [
            (
                s.store_id,
                int(snap.store_on_hand[i].sum()),
                int(snap.store_on_order[i].sum()),
                int(snap.sales_yesterday[i].sum()),
                int((snap.demand_yesterday[i] - snap.sales_yesterday[i]).sum()),
                int(self.core.sim.counters_view().store.wasted_units[i].sum()),
            )
            for i, s in enumerate(net.stores)
        ]
        title = f"{net.name} day {snap.day} {snap.time_hours % 24:04.1f}h"
        text = table(
            ("store", "on hand", "on order", "sold yday", "lost yday", "wasted"), rows, title
        )
        if self._last_info:
            text += f"step profit {self._last_info['profit']:,.2f}  episode {self._episode_profit:,.2f}\n"
        return text

    # ------------------------------------------------------------ encoding
    def _decode(self, values: np.ndarray) -> StepDecisions:
        net = self.core.network
        shape = (net.n_stores, net.n_skus)
        decisions = StepDecisions()
        for name, size, offset in self.action_layout:
            part = values[offset : offset + size]
            if name == "store_orders":
                units = np.zeros(shape, dtype=np.int64).reshape(-1)
                units[self.core.agent_index] = (
                    part * self.core.pack_units[self.core.agent_index % net.n_skus]
                )
                decisions.store_order_units = units.reshape(shape)
            elif name == "dc_orders":
                decisions.dc_order_units = (
                    part.reshape(net.n_dcs, net.n_skus) * self._supplier_pack[None, :]
                )
            else:
                intent = np.zeros(shape, dtype=np.int64).reshape(-1)
                intent[self.core.agent_index] = part - self.config.max_transfer_units
                decisions.transfer_intent_units = intent.reshape(shape)
        return decisions

    def _observe(self):
        feats = self.core.features().reshape(-1, N_FEATURES)[self.core.agent_index].reshape(-1)
        if not isinstance(self.observation_space, spaces.Dict):
            return feats
        sim = self.core.sim
        snap = sim.snapshot()
        net = self.core.network
        expected = sim.expected_daily_units()
        store_dc = net.store_dc()
        by_dc = np.stack([expected[store_dc == j].sum(axis=0) for j in range(net.n_dcs)])
        dc = np.stack([snap.dc_on_hand, snap.dc_on_order, snap.dc_backlog, by_dc], axis=2)
        return {
            "store_sku": feats,
            "dc_sku": np.clip(dc.reshape(-1), 0.0, DC_CLIP).astype(np.float32),
        }


class StoreReplenishmentEnv(RetailEnv):
    """## Description

    One store (or several) × many SKUs ordering from their DC, on a shipped
    scenario (``city_fresh`` by default): perishables with ages, case packs,
    facings and shelf refills, promotions, weather, lifecycle. One step is one
    day: the agent orders at ``decision_hour`` (09:00); DCs, suppliers and
    couriers follow the scenario. Stores not listed in ``stores`` follow the
    order-up-to baseline.

    ## Action Space

    ``MultiDiscrete([max_order_packs + 1] × n_agents)``: case packs to order for
    each agent store-SKU (a pack is the SKU's case pack, or one unit for
    break-pack SKUs). Invalid actions raise ``sim.errors.ActionError``.

    ## Observation Space

    ``Box(-1, 50, (n_agents · 27,), float32)``, agent-major: ``obs[a · 27 + f]``
    is feature ``f`` of agent ``a``, the features of the observation contract
    (``sim.features.FEATURES``, version 2):

    | index | feature | meaning |
    |---|---|---|
    | 0 | on_hand | units on hand / scale |
    | 1 | on_shelf | units on the shelf / scale |
    | 2 | expiring_1d | units with 1 day of life left / scale |
    | 3 | expiring_2d | units with 2 days of life left / scale |
    | 4 | on_order | units ordered, not received / scale |
    | 5 | arriving_1d | units arriving today or tomorrow / scale |
    | 6 | sales_yesterday | / scale |
    | 7 | demand_yesterday | sold + lost / scale |
    | 8 | lost_yesterday | / scale |
    | 9 | forecast | smoothed daily demand / scale |
    | 10, 11 | dow_sin, dow_cos | weekday on the circle |
    | 12 | promo | 1 on promotion |
    | 13 | price | price paid / regular |
    | 14 | shelf_life | days / 30 (0 non-perishable) |
    | 15 | oldest_life_left | of the oldest unit, / shelf life |
    | 16 | dc_on_hand | DC units / (scale × its stores) |
    | 17 | case_pack | / scale |
    | 18 | blocked | always 0 for agents |
    | 19 | log_scale | log(1 + scale) |
    | 20 | margin | (price − unit cost) / price |
    | 21 | waste_cost | (unit cost + disposal cost) / price |
    | 22 | holding_cost | holding cost per day / price × 100 |
    | 23 | lead_time | days from ordering to the shelf / 7 |
    | 24 | expiring_3d | units with 3 days of life left / scale |
    | 25 | dc_life_left | life left of the DC's oldest unit / shelf life |
    | 26 | forecast_error | smoothed abs(demand − forecast) / scale |

    ``scale`` = the store-SKU's expected daily demand at the start (>= 1). Every
    value is clipped to [-1, 50].

    ## Rewards

    The agents' share of the chain's profit over the step (``envs.retail.reward``):
    revenue − cost of goods sold − waste and damage at cost and disposal −
    holding, the truck cost (by units received), the courier cost (by units
    received by courier) and the DC's holding and expiry (to the SKU's agents at
    the stores it serves, by units pulled). With every store controlled and
    ``stockout_penalty_per_unit = 0`` the rewards of an episode add up to the
    change of ``sim.kpis()``'s ``profit`` (tested to the cent); the penalty ×
    lost units is the one, documented, shaping term.

    ## Starting State

    The scenario's starting stock, then ``warmup_days`` under the baseline.

    ## Episode End

    Never terminates; truncated by the registered time limit (28 days).

    ## Arguments

    ``RetailEnvConfig`` fields as keywords: ``scenario``, ``overrides``,
    ``stores``, ``decision_hour``, ``max_order_packs``, ``baseline_cover_days``,
    ``stockout_penalty_per_unit``, ``dc_autopilot``, ``warmup_days``; and
    ``render_mode`` (None or "ansi").

    ## KPIs

    ``info``: the step's ``profit``, ``demand_units``, ``sold_units``,
    ``lost_units``, ``wasted_units``, ``fill_rate``, and ``kpis``: every chain
    KPI of the episode so far (``sim.kpis``).

    ## Usage

    From a fresh interpreter (Gymnasium imports the ``envs`` package, which
    registers the ids)::

        import gymnasium
        env = gymnasium.make("envs:ShelfLife/StoreReplenishment-v0", scenario="city_fresh")
        obs, info = env.reset(seed=0)

    ## Version History

    - v0: first version.
    """

    default_controls = Control.STORE_ORDERS


class CityTransferEnv(RetailEnv):
    """## Description

    The stores of one city move surplus to each other by courier. Every few
    hours (``transfer_hours``, 09:00, 13:00, 17:00 by default) each agent
    store-SKU states a transfer intent: release ``k`` units or request ``k``
    units. A deterministic matcher (``envs.retail.matcher``) routes them:
    store pairs within ``transfer_radius_km`` in the same city, nearest first,
    each moving min(release, request). Replenishment follows the order-up-to
    baseline (``baseline_cover_days``) at ``decision_hour``.

    ## Action Space

    ``MultiDiscrete([2 · max_transfer_units + 1] × n_agents)``: value ``v`` means
    intent ``v − max_transfer_units`` (negative: release, positive: request).
    A release above the units on hand is cut to what is on hand
    (``info["release_clipped_units"]``).

    ## Observation Space

    As ``StoreReplenishment-v0``: ``Box(-1, 50, (n_agents · 20,), float32)``.

    ## Rewards

    The agents' share of the chain's profit over the step, DC costs and courier
    cost included (see ``StoreReplenishmentEnv``'s Rewards and ``envs.retail.reward``).

    ## Starting State

    The scenario's starting stock, then ``warmup_days`` under the baseline.

    ## Episode End

    Never terminates; truncated by the registered time limit (28 days × 3 steps).

    ## Arguments

    As ``StoreReplenishment-v0`` plus ``transfer_hours``, ``max_transfer_units``,
    ``transfer_radius_km``.

    ## KPIs

    As ``StoreReplenishment-v0``, plus ``transfer_units`` of the step; the
    episode's ``transfers_*`` and ``courier_utilisation`` in ``info["kpis"]``.

    ## Usage

    From a fresh interpreter (Gymnasium imports the ``envs`` package, which
    registers the ids)::

        import gymnasium
        env = gymnasium.make("envs:ShelfLife/CityTransfer-v0", scenario="city_fresh")
        obs, info = env.reset(seed=0)

    ## Version History

    - v0: first version.
    """

    default_controls = Control.TRANSFERS


class RetailNetworkEnv(RetailEnv):
    """## Description

    Stores, DCs and suppliers: the agent orders for every store-SKU from the
    DCs, for every DC-SKU from the suppliers (the DCs' standing rule is off),
    and states transfer intents every few hours, as ``CityTransfer-v0``.

    ## Action Space

    One ``MultiDiscrete`` vector: ``[store orders (max_order_packs + 1) ×
    n_agents | DC orders (max_dc_order_packs + 1) × (dcs × skus) | transfer
    intents (2 · max_transfer_units + 1) × n_agents]``. DC orders are in supplier
    packs. Orders are only placed at the ``decision_hour`` step; at other steps
    the order parts are ignored.

    ## Observation Space

    ``Dict(store_sku=Box(-1, 50, (n_agents · 20,)), dc_sku=Box(0, 1e6, (dcs · skus · 4,)))``;
    ``dc_sku[(dc · skus + sku) · 4 + g]`` for the DC features g: units on hand,
    on order from suppliers, store orders queued (backlog), expected daily
    demand of its stores (clipped to [0, 1e6]).

    ## Rewards

    The chain's profit over the step: every store-SKU's, the trucks', the
    couriers' and the DCs' holding and expiry (see ``envs.retail.reward``).

    ## Starting State

    The scenario's starting stock, then ``warmup_days`` under the baseline
    (stores) with DCs receiving nothing from suppliers unless ordered.

    ## Episode End

    Never terminates; truncated by the registered time limit (28 days × 3 steps).

    ## Arguments

    As ``CityTransfer-v0`` plus ``max_dc_order_packs``.

    ## KPIs

    As ``CityTransfer-v0``.

    ## Usage

    From a fresh interpreter (Gymnasium imports the ``envs`` package, which
    registers the ids)::

        import gymnasium
        env = gymnasium.make("envs:ShelfLife/RetailNetwork-v0", scenario="city_fresh")
        obs, info = env.reset(seed=0)

    ## Version History

    - v0: first version.
    """

    default_controls = Control.STORE_ORDERS | Control.DC_ORDERS | Control.TRANSFERS
