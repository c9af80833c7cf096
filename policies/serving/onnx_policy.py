"""A learned per-store-SKU policy exported to ONNX, run with onnxruntime.

Observation = the observation contract (``sim.features``): the store-SKU features plus
``is_order_step`` = 1 and ``hour / 24`` of the daily decision, normalised with
the training statistics from the manifest exactly as VecNormalize does, then
the network's scores. The action (manifest ``action.type``):

* ``discrete_packs``: the arg-max: whole case packs to order;
* ``residual_multiplier``: ``a = clip(score, -1, 1)`` and the base rule (served from
  its parameters, ``action.base_rule``) orders on ``forecast × max_multiplier ** a``,
  as the SKU-agent env's residual action; the explanation is the rule's, with the
  learned multiplier in front.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import onnxruntime as ort

from policies.serving.catalog import Catalog
from policies.serving.decision import PolicyDecision, Rule
from policies.serving.errors import PolicyFormatError
from policies.serving.rows_view import view_from_rows
from policies.serving.rule_policy import RulePolicy
from policies.serving.state import StateRows
from sim.features import N_OBSERVATION, check_observation_contract, observation_rows
from sim.store_sku import StoreSkuView, life_left_by_age

REASON = (
    "learned policy: order {units} = {packs} × {pack_units}; forecast {forecast}/day,"
    " on hand {on_hand} ({expiring_1d} expire within a day), on order {on_order}"
)


RESIDUAL_REASON = (
    "learned residual: the rule on forecast {learned_forecast}/day"
    " (= {forecast}/day × {multiplier}); "
)


class OnnxPolicy:
    """Args:
    model_bytes: the verified ``policy.onnx``.
    manifest: the verified manifest.
    catalog: the policy's catalog.
    """

    def __init__(self, model_bytes: bytes, manifest: dict[str, Any], catalog: Catalog) -> None:
        options = ort.SessionOptions()
        # one thread: requests are small and the server scales by processes
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            model_bytes, options, providers=["CPUExecutionProvider"]
        )
        spec = manifest["onnx"]
        self.input_name = spec["input"]
        self.output_name = spec["output"]
        obs = manifest["observation"]
        names = [f.get("name") if isinstance(f, dict) else f for f in obs["features"]]
        try:
            check_observation_contract(
                names, obs.get("version"), where="manifest observation.features"
            )
        except ValueError as err:  # a policy trained on other features: never guess
            raise PolicyFormatError(f"{err} (export the policy again with this version)") from err
        self.n_obs = N_OBSERVATION
        norm = obs.get("normalization")
        if norm is not None:
            self.mean = np.asarray(norm["mean"], dtype=np.float64)
            self.std = np.sqrt(np.asarray(norm["var"], dtype=np.float64) + float(norm["epsilon"]))
            self.clip = float(norm["clip_obs"])
            if self.mean.shape != (self.n_obs,) or self.std.shape != (self.n_obs,):
                raise PolicyFormatError("manifest observation.normalization: wrong length")
        self.normalize = norm is not None
        action = manifest["action"]
        self.residual: RulePolicy | None = None
        if action.get("type") == "residual_multiplier":
            self.residual = RulePolicy(action["base_rule"], catalog)
            self.max_multiplier = float(action["max_multiplier"])
            self.max_packs = 0
        elif action.get("type", "discrete_packs") == "discrete_packs":
            self.max_packs = int(action["max_order_packs"])
        else:
            raise PolicyFormatError(
                f"action.type {action.get('type')!r}; allowed: discrete_packs, residual_multiplier"
            )
        self.decision_hour = float(manifest["env"]["decision_hour"])
        self.catalog = catalog

    def observations(self, rows: StateRows) -> np.ndarray:
        """[n, n_obs] float32 observations, before normalisation."""
        return np.ascontiguousarray(self._observation_rows(self._view(rows)).T)

    def _view(self, rows: StateRows) -> StoreSkuView:
        return view_from_rows(rows, self.catalog, rules=False)  # the features read no rule input

    def _observation_rows(self, view: StoreSkuView) -> np.ndarray:
        """[n_obs, n] float32: ``observations`` with one row per observation entry."""
        out = np.empty((self.n_obs, view.n), dtype=np.float32)
        return observation_rows(view, is_order_step=1.0, hour_of_day=self.decision_hour, out=out)

    def scores(self, observations: np.ndarray) -> np.ndarray:
        """[n, actions] the network's scores for [n, n_obs] observations."""
        return self._scores(np.asarray(observations).T)

    def _scores(self, rows: np.ndarray) -> np.ndarray:
        """Scores for observations given one row per entry ([n_obs, n])."""
        obs = rows
        if self.normalize:  # in float64, as VecNormalize
            obs = np.subtract(obs, self.mean[:, None])
            np.divide(obs, self.std[:, None], out=obs)
            np.clip(obs, -self.clip, self.clip, out=obs)
        batch = np.ascontiguousarray(obs.T, dtype=np.float32)  # [n, n_obs]
        return self.session.run([self.output_name], {self.input_name: batch})[0]

    def decide(self, rows: StateRows) -> PolicyDecision:
        view = self._view(rows)
        scores = self._scores(self._observation_rows(view))
        if self.residual is not None:
            return self._residual_decision(rows, scores)
        blocked, pack_units = view.blocked, view.pack_units
        packs = np.where(blocked, 0, np.argmax(scores, axis=1)).astype(np.int64)
        units = packs * pack_units
        rules = (
            np.where(blocked, int(Rule.BLOCKED), 0)
            | np.where((units > 0) & (pack_units > 1), int(Rule.CASE_PACK_ROUNDING), 0)
            | np.where(packs >= self.max_packs, int(Rule.CAP), 0)
        ).astype(np.int64)
        return PolicyDecision(
            units=units,
            rules=rules,
            reason_template=REASON,
            reason_terms={
                "units": units,
                "packs": packs,
                "pack_units": pack_units,
                "forecast": np.round(rows.forecast, 1),
                "on_hand": rows.on_hand,
                "expiring_1d": _expiring_1d(view.on_hand_by_age, view.shelf_life_days),
                "on_order": rows.on_order,
            },
        )

    def _residual_decision(self, rows: StateRows, scores: np.ndarray) -> PolicyDecision:
        """The base rule on the learned forecast multiplier (float32, as the env applies it)."""
        a = np.clip(scores[:, 0], np.float32(-1.0), np.float32(1.0))
        multiplier = self.max_multiplier**a
        scaled = dataclasses.replace(rows, forecast=rows.forecast * multiplier)
        decision = self.residual.decide(scaled)
        return dataclasses.replace(
            decision,
            reason_template=RESIDUAL_REASON + decision.reason_template,
            reason_terms={
                **decision.reason_terms,
                "multiplier": np.round(multiplier.astype(np.float64), 2),
                "forecast": np.round(rows.forecast, 1),
                "learned_forecast": np.round(scaled.forecast, 1),
            },
        )


def _expiring_1d(stock: np.ndarray, life: np.ndarray) -> np.ndarray:
    """[n] units with one day of life left (perishables)."""
    return (stock * (life_left_by_age(life, stock.shape[1]) == 1)).sum(axis=1)
