"""Gymnasium environments over the ShelfLife simulator.

Importing this package registers the ids under the ``ShelfLife/`` namespace;
time limits are registration arguments, not env code.
"""

from gymnasium.envs.registration import register, registry

ENV_SPECS = {
    "ShelfLife/PerishableInventory-v0": ("envs.perishable.env:PerishableInventoryEnv", 365),
    "ShelfLife/StoreReplenishment-v0": ("envs.retail.env:StoreReplenishmentEnv", 28),
    "ShelfLife/CityTransfer-v0": ("envs.retail.env:CityTransferEnv", 28 * 3),
    "ShelfLife/RetailNetwork-v0": ("envs.retail.env:RetailNetworkEnv", 28 * 3),
}

# ``gymnasium.make_vec(id, num_envs=R, vectorization_mode="vector_entry_point")``
VECTOR_ENTRY_POINTS = {
    "ShelfLife/PerishableInventory-v0": "envs.perishable.vector:PerishableInventoryVectorEnv",
}

for env_id, (entry_point, max_steps) in ENV_SPECS.items():
    if env_id not in registry:
        register(
            id=env_id,
            entry_point=entry_point,
            vector_entry_point=VECTOR_ENTRY_POINTS.get(env_id),
            max_episode_steps=max_steps,
        )
