"""Learned store-to-store transfers: the rules' parameters searched, and a per-pair scorer.

Two transfer planners whose parameters a search (``experiments.cmaes``) moves
directly on chain profit; both plan like ``policies.transfers.TransferRules``
(same inputs, same guard rails, same benefit check, same explanations), so the
SKU-agent env, the what-if, the export and the server use them unchanged:

* ``rules_from_vector(base, theta)``: the rules themselves with radius, need
  horizon, safety days and send share scaled by ``2 ** theta`` (the share on its
  logit) and the urgency weights re-weighted by ``exp(theta)``; ``theta = 0`` is
  ``base`` exactly.
* ``PairScorerTransfers``: a shared linear scorer per (origin, destination, SKU)
  over ``PAIR_FEATURE_NAMES``, scale-free features of the pair (the urgency
  terms, the origin's doomed share and cover, the destination's cover, the
  disposal cost and the courier's cost per unit against the price). It works for
  any number of stores in a city and any SKU: a line qualifies when its score is
  above 0, the best-scoring destination gets ``min(sendable, need)``. Unlike the
  rules it may send stock that would still sell at the origin (up to the send
  share, never the origin's safety days): whether a line is worth it is the
  scorer's call. ``initial_vector(base)`` starts it at the rules' weights, a
  weight of 1 on the doomed share and a bias of -1 (roughly: "send what would
  expire"), which is where the search starts.

Both are stored as plain JSON (``save_planner`` / ``load_planner``), never pickled.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from policies.transfers import (
    URGENCY_TERMS,
    TransferRules,
    UrgencyWeights,
    doomed_units,
    oldest_life_left,
)
from sim.errors import ConfigError
from sim.transfer import TransferInputs

N_RULE_PARAMS = 9  # radius, horizon, safety, send share, 5 urgency weights
PAIR_FEATURE_NAMES = (
    *URGENCY_TERMS,
    "doomed_share",  # origin's units that would expire unsold / what it may send
    "origin_cover_weeks",  # origin's stock / its daily forecast / 7 (capped at 2)
    "dest_cover_weeks",  # destination's stock + arrivals / its daily forecast / 7 (capped at 2)
    "disposal_to_price",  # disposal cost per unit / price (capped at 2)
    "courier_to_value",  # the trip's cost / (the line's units × price) (capped at 2)
)
N_PAIR_FEATURES = len(PAIR_FEATURE_NAMES)


def rules_from_vector(base: TransferRules, theta: np.ndarray) -> TransferRules:
    """The rules ``base`` moved by ``theta`` (``N_RULE_PARAMS`` numbers; 0 = ``base``)."""
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (N_RULE_PARAMS,) or not np.isfinite(theta).all():
        raise ConfigError("theta", theta.shape, f"{N_RULE_PARAMS} finite numbers")
    share = float(np.clip(base.max_send_share, 1e-3, 1 - 1e-3))
    logit = np.log(share / (1 - share)) + theta[3]
    raw = base.weights.as_vector() * np.exp(np.clip(theta[4:], -20, 20))
    weights = raw / raw.sum() if raw.sum() > 0 else np.full(5, 0.2)
    return dataclasses.replace(
        base,
        radius_km=base.radius_km * 2.0 ** theta[0],
        need_horizon_days=base.need_horizon_days * 2.0 ** theta[1],
        safety_days=max(base.safety_days, 0.05) * 2.0 ** theta[2],
        max_send_share=float(1.0 / (1.0 + np.exp(-logit))),
        weights=UrgencyWeights(**dict(zip(URGENCY_TERMS, weights.tolist(), strict=True))),
    )


@dataclass(frozen=True)
class PairScorerTransfers(TransferRules):
    """Transfers chosen by a shared linear score per (origin, destination, SKU).

    Args (beyond ``TransferRules``'s guard rails: radius, need horizon, safety
    days, send share, smallest line):
        coef: [N_PAIR_FEATURES] weights of ``PAIR_FEATURE_NAMES``.
        bias: the constant term; a line qualifies when its score is above 0.
    """

    coef: tuple[float, ...] = (0.0,) * N_PAIR_FEATURES
    bias: float = 0.0

    min_score = 0.0
    score_name = "learned score"

    def __post_init__(self) -> None:
        super().__post_init__()
        coef = tuple(float(c) for c in self.coef)
        if len(coef) != N_PAIR_FEATURES or not np.isfinite(coef).all():
            raise ConfigError("PairScorerTransfers.coef", len(coef), f"{N_PAIR_FEATURES} numbers")
        if not np.isfinite(self.bias):
            raise ConfigError("PairScorerTransfers.bias", self.bias, "a finite number")
        object.__setattr__(self, "coef", coef)

    def surplus(self, x: TransferInputs) -> tuple[np.ndarray, np.ndarray]:
        """What a store-SKU may send (beyond its safety days, up to the send share) and the
        life left of its oldest unit; the doomed part is a feature, not a cap."""
        return self.sendable_cap(x), oldest_life_left(x)

    def plan_context(
        self, x: TransferInputs, send: np.ndarray, need: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The grid-wide parts of the features, once per plan."""
        doomed = np.minimum(doomed_units(x), send)  # of what may be sent, what would expire
        on_hand = x.on_hand_by_life.sum(axis=2)
        per_day = np.maximum(x.forecast_daily, 0.1)
        return {
            "send": send,
            "need": need,
            "doomed_share": np.clip(doomed / np.maximum(send, 1.0), 0.0, 1.0),
            "cover_weeks": np.minimum(on_hand / per_day / 7.0, 2.0),
            "cover_weeks_with_arrivals": np.minimum(
                (on_hand + x.arriving_units) / per_day / 7.0, 2.0
            ),
            "disposal_to_price": np.minimum(
                x.disposal_cost_per_unit / np.maximum(x.price, 1e-9), 2.0
            ),
        }

    def pair_features(
        self, x: TransferInputs, origin: int, dest: int, terms: np.ndarray, context: dict
    ) -> np.ndarray:
        """[N_PAIR_FEATURES, skus] of sending from ``origin`` to ``dest``."""
        line_units = np.maximum(np.minimum(context["send"][origin], context["need"][dest]), 1.0)
        courier = x.courier_cost(origin, dest)
        return np.vstack(
            [
                terms,
                context["doomed_share"][origin],
                context["cover_weeks"][origin],
                context["cover_weeks_with_arrivals"][dest],
                context["disposal_to_price"],
                np.minimum(courier / (line_units * np.maximum(x.price, 1e-9)), 2.0),
            ]
        )

    def score(
        self, x: TransferInputs, origin: int, dest: int, terms: np.ndarray, context: Any
    ) -> np.ndarray:
        features = self.pair_features(x, origin, dest, terms, context)
        return np.asarray(self.coef) @ features + self.bias

    # ----------------------------------------------------------- as a vector
    N_PARAMS = N_PAIR_FEATURES + 1

    @classmethod
    def from_vector(cls, base: TransferRules, theta: np.ndarray) -> PairScorerTransfers:
        """The scorer with ``base``'s guard rails and ``theta`` = (coef, bias)."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (cls.N_PARAMS,) or not np.isfinite(theta).all():
            raise ConfigError("theta", theta.shape, f"{cls.N_PARAMS} finite numbers")
        rails = {f.name: getattr(base, f.name) for f in dataclasses.fields(TransferRules)}
        return cls(**rails, coef=tuple(theta[:-1].tolist()), bias=float(theta[-1]))

    @staticmethod
    def initial_vector(base: TransferRules) -> np.ndarray:
        """The search's start: the rules' urgency weights, doomed share 1, bias -1."""
        theta = np.zeros(N_PAIR_FEATURES + 1)
        theta[:5] = base.weights.as_vector()
        theta[PAIR_FEATURE_NAMES.index("doomed_share")] = 1.0
        theta[-1] = -1.0
        return theta


# ------------------------------------------------------------------- storage
def planner_params(planner: TransferRules) -> dict[str, Any]:
    """The planner's parameters as plain JSON (the export manifest's ``transfers.params``)."""
    params = dataclasses.asdict(planner)
    if isinstance(planner, PairScorerTransfers):
        params["kind"] = "pair_scorer"
        params["features"] = list(PAIR_FEATURE_NAMES)
        params["coef"] = list(planner.coef)
    return params


def planner_from_params(params: dict[str, Any]) -> TransferRules:
    """The planner from ``planner_params`` (``kind`` absent: the rules).

    Raises:
        ConfigError: an unknown kind, features that are not ``PAIR_FEATURE_NAMES``, or
            parameters the planner does not take.
    """
    params = dict(params)
    kind = params.pop("kind", "rules")
    if kind not in ("rules", "pair_scorer"):
        raise ConfigError("transfers.kind", kind, "'rules' or 'pair_scorer'")
    features = params.pop("features", None)
    if kind == "pair_scorer" and features != list(PAIR_FEATURE_NAMES):
        raise ConfigError("transfers.features", features, f"{list(PAIR_FEATURE_NAMES)}")
    weights = UrgencyWeights(**params.pop("weights", {}))
    cls = PairScorerTransfers if kind == "pair_scorer" else TransferRules
    if kind == "pair_scorer" and "coef" in params:
        params["coef"] = tuple(params["coef"])
    try:
        return cls(**params, weights=weights)
    except TypeError as err:
        raise ConfigError("transfers.params", sorted(params), f"fields of {cls.__name__}") from err


def save_planner(planner: TransferRules, path: str | Path) -> None:
    """Write the planner's parameters as JSON, atomically."""
    target = Path(path)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(json.dumps({"transfers": planner_params(planner)}, indent=1) + "\n")
    tmp.replace(target)


def load_planner(path: str | Path) -> TransferRules:
    """The planner saved by ``save_planner``."""
    doc = json.loads(Path(path).read_text())
    if not isinstance(doc, dict) or not isinstance(doc.get("transfers"), dict):
        raise ConfigError(f"{path}", type(doc).__name__, "a JSON object with a 'transfers' object")
    return planner_from_params(doc["transfers"])
