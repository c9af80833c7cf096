"""Store-to-store transfers of surplus, planned from a request's state (``transfer_rules``).

A policy exported from ``transfer_rules`` carries, beside its replenishment
rule, the transfer rules' parameters (manifest ``transfers``) and the courier
network of its scenario (``network.npz``: road km between stores and each
store's city; the tariff in the manifest). ``TransferPlanner.plan`` runs the
same ``policies.transfers.TransferRules.plan`` as the lab, on the stores and
SKUs of the request laid out as [stores, skus] arrays, one city at a time
(couriers never cross cities, so planning each city alone plans the same
transfers, and the rules' [stores, stores, skus] arrays stay a city's size):
store-SKUs the request leaves out hold nothing and need nothing, so they
neither send nor receive. Transfers need the stores of a city in one request
(``store_ids``); a one-store request gets none. The rules need no history:
today's stock by age, forecast and arrivals are enough. A city whose
stores² × SKUs exceed ``MAX_PAIR_SKUS`` is refused by name rather than
planned in gigabytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from policies.learned_transfers import planner_from_params
from policies.serving.catalog import Catalog
from policies.serving.errors import PolicyFormatError, StateError
from policies.serving.rows_view import view_from_rows
from policies.serving.state import StateRows
from policies.transfers import TransferRules
from sim.transfer import TransferInputs

NETWORK_FILE = "network.npz"
MAX_PAIR_SKUS = 20_000_000  # stores² × SKUs of one city: the rules hold ~3 such float arrays


@dataclass(frozen=True)
class CourierNetwork:
    """Road distances and cities of the catalog's stores, and the courier tariff."""

    road_km: np.ndarray  # [stores, stores]
    city: np.ndarray  # [stores] unicode
    cost_per_trip: float
    cost_per_km: float


def network_bytes(road_km: np.ndarray, city: np.ndarray) -> bytes:
    """``network.npz``: plain float and unicode arrays (read without pickle)."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        road_km=np.asarray(road_km, dtype=np.float64),
        city=np.asarray(city, dtype=str),
    )
    return buffer.getvalue()


def load_network(data: bytes, tariff: dict[str, Any], n_stores: int) -> CourierNetwork:
    """The verified ``network.npz`` and the manifest's tariff, checked against the catalog."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            road_km, city = npz["road_km"], npz["city"]
    except (ValueError, KeyError, OSError) as err:
        raise PolicyFormatError(f"{NETWORK_FILE}: not a plain-array network ({err})") from err
    if road_km.shape != (n_stores, n_stores) or city.shape != (n_stores,):
        raise PolicyFormatError(
            f"{NETWORK_FILE}: road_km {road_km.shape} and city {city.shape}; "
            f"expected ({n_stores}, {n_stores}) and ({n_stores},) for the catalog's stores"
        )
    try:
        per_trip, per_km = float(tariff["cost_per_trip"]), float(tariff["cost_per_km"])
    except (KeyError, TypeError, ValueError) as err:
        raise PolicyFormatError(f"manifest transfers.courier: {err}") from err
    return CourierNetwork(road_km.astype(np.float64), city.astype(str), per_trip, per_km)


def build_rules(params: dict[str, Any]) -> TransferRules:
    """The planner from the manifest's ``transfers.params``: the transfer rules (weights
    nested), or with ``kind: pair_scorer`` the learned per-pair scorer
    (``policies.learned_transfers``)."""
    try:
        return planner_from_params(params)
    except (TypeError, ValueError) as err:  # ConfigError is a ValueError
        raise PolicyFormatError(f"manifest transfers.params: {err}") from err


@dataclass(frozen=True)
class RowTransfers:
    """Per request row: units to send from its store-SKU, where, and why."""

    units: np.ndarray  # [n] int64, 0 where nothing is sent
    to_store: np.ndarray  # [n] int64 catalog index of the destination, -1 where none
    reasons: list[str]  # [n] "" where nothing is sent


class TransferPlanner:
    """Args:
    spec: the manifest's ``transfers`` section (``params``, ``courier``).
    network: the courier network of the catalog's stores.
    catalog: the policy's catalog.
    """

    def __init__(self, spec: dict[str, Any], network: CourierNetwork, catalog: Catalog) -> None:
        self.rules = build_rules(spec.get("params", {}))
        self.network = network
        self.catalog = catalog

    def inputs(
        self,
        rows: StateRows,
        stores: np.ndarray,
        at_store: np.ndarray,
        skus: np.ndarray,
        at_sku: np.ndarray,
    ) -> TransferInputs:
        """The rules' [stores, skus] inputs over ``stores`` and ``skus`` (catalog indices,
        as ``np.unique`` of the rows' with its inverse ``at_store`` / ``at_sku``)."""
        cat, net = self.catalog, self.network
        return TransferInputs.from_view(
            view_from_rows(rows, cat),
            at_store,
            at_sku,
            (len(stores), len(skus)),
            road_km=net.road_km[np.ix_(stores, stores)],
            same_city=net.city[stores][:, None] == net.city[stores][None, :],
            cost_per_trip=net.cost_per_trip,
            cost_per_km=net.cost_per_km,
            blocked=cat["blocked"][np.ix_(stores, skus)].astype(bool),
        )

    def plan(self, rows: StateRows) -> RowTransfers:
        """Transfers per row, planned city by city.

        Raises:
            StateError: a city's stores² × SKUs in the request exceed ``MAX_PAIR_SKUS``.
        """
        n = rows.n
        out = RowTransfers(np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64), [""] * n)
        city_of_row = self.network.city[rows.store]
        for city in np.unique(city_of_row):
            self._plan_city(rows, np.flatnonzero(city_of_row == city), str(city), out)
        return out

    def _plan_city(
        self, rows: StateRows, in_city: np.ndarray, city: str, out: RowTransfers
    ) -> None:
        part = rows.select(in_city)
        stores, at_store = np.unique(part.store, return_inverse=True)
        skus, at_sku = np.unique(part.sku, return_inverse=True)
        if len(stores) < 2:  # one store has no one to send to
            return
        if len(stores) ** 2 * len(skus) > MAX_PAIR_SKUS:
            raise StateError(
                "store_ids",
                f"{len(stores)} stores × {len(skus)} SKUs in city {city}",
                f"at most {MAX_PAIR_SKUS:,} store pairs × SKUs per city in one request "
                "(send fewer SKUs per request)",
            )
        x = self.inputs(part, stores, at_store, skus, at_sku)
        row_at = np.full((len(stores), len(skus)), -1, dtype=np.int64)
        row_at[at_store, at_sku] = in_city
        store_ids = tuple(str(s) for s in self.catalog["store_ids"][stores])
        sku_ids = tuple(str(s) for s in self.catalog["sku_ids"][skus])
        for planned in self.rules.plan(x, store_ids, sku_ids):
            lines = np.flatnonzero(planned.units)
            where = row_at[planned.origin, lines]  # surplus needs stock: the row was sent
            out.units[where] = planned.units[lines]
            out.to_store[where] = stores[planned.destination]
            for row, reason in zip(where.tolist(), planned.reasons, strict=True):
                out.reasons[row] = reason
