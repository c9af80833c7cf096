"""Replenishment heuristics that chains run today: the baselines RL must beat."""

from policies.heuristics.base_stock import BaseStock, CappedBaseStock, PerishableBaseStock
from policies.heuristics.facings import FacingsDays
from policies.heuristics.min_max import RSS, SQ, SS
from policies.heuristics.newsvendor import Newsvendor
from policies.heuristics.reorder_point import ReorderPoint, ShopReorderRule

__all__ = [
    "RSS",
    "SQ",
    "SS",
    "BaseStock",
    "CappedBaseStock",
    "FacingsDays",
    "Newsvendor",
    "PerishableBaseStock",
    "ReorderPoint",
    "ShopReorderRule",
]
