"""``ShelfLife/PerishableInventory-v0``: one SKU, one store, one supplier, daily periods."""

from envs.perishable.env import PerishableInventoryEnv

__all__ = ["PerishableInventoryEnv"]
