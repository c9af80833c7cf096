"""A learned per-store-SKU policy exported to ONNX, run with onnxruntime.

Observation = the env's features (``policies.serving.features``) plus
``is_order_step`` = 1 and ``hour / 24`` of the daily decision, normalised with
the training statistics from the manifest exactly as VecNormalize does, then
the network's scores; the action is the arg-max: whole case packs to order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort

from policies.serving.catalog import Catalog
from policies.serving.decision import PolicyDecision, Rule
from policies.serving.errors import PolicyFormatError
from policies.serving.features import FeatureInputs, compute_features
from policies.serving.state import StateRows

REASON = (
    "learned policy: order {units} = {packs} × {pack_units}; forecast {forecast}/day,"
    " on hand {on_hand} ({expiring_1d} expire within a day), on order {on_order}"
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
        self.n_obs = len(obs["features"])
        norm = obs.get("normalization")
        if norm is not None:
            self.mean = np.asarray(norm["mean"], dtype=np.float64)
            self.std = np.sqrt(np.asarray(norm["var"], dtype=np.float64) + float(norm["epsilon"]))
            self.clip = float(norm["clip_obs"])
            if self.mean.shape != (self.n_obs,) or self.std.shape != (self.n_obs,):
                raise PolicyFormatError("manifest observation.normalization: wrong length")
        self.normalize = norm is not None
        action = manifest["action"]
        self.max_packs = int(action["max_order_packs"])
        self.hour_feature = float(manifest["env"]["decision_hour"]) / 24.0
        self.catalog = catalog

    def observations(self, rows: StateRows) -> np.ndarray:
        """[n, n_obs] float32 observations, before normalisation."""
        cat = self.catalog
        sku, store = rows.sku, rows.store
        x = FeatureInputs(
            on_hand_by_age=rows.on_hand_by_age,
            on_shelf=rows.on_shelf,
            on_order=rows.on_order,
            arriving_1d=rows.arriving_1d,
            sales_yesterday=rows.sales_yesterday,
            demand_yesterday=rows.demand_yesterday,
            forecast=rows.forecast,
            weekday=rows.weekday,
            promotion_price=rows.promotion_price,
            price_multiplier=rows.price_multiplier,
            shelf_life_days=cat["shelf_life_days"][sku],
            dc_on_hand_per_store=rows.dc_on_hand / cat["dc_stores_served"][store],
            case_pack=cat["pack_units"][sku],
            blocked=cat["blocked"][store, sku],
            scale=rows.scale,
        )
        feats = compute_features(x)
        extra = np.empty((rows.n, 2), dtype=np.float32)
        extra[:, 0] = 1.0  # the daily ordering step
        extra[:, 1] = self.hour_feature
        return np.concatenate([feats, extra], axis=1)

    def scores(self, observations: np.ndarray) -> np.ndarray:
        obs = observations
        if self.normalize:
            obs = np.clip((obs - self.mean) / self.std, -self.clip, self.clip)
        out = self.session.run([self.output_name], {self.input_name: obs.astype(np.float32)})
        return out[0]

    def decide(self, rows: StateRows) -> PolicyDecision:
        cat = self.catalog
        packs = np.argmax(self.scores(self.observations(rows)), axis=1).astype(np.int64)
        blocked = cat["blocked"][rows.store, rows.sku]
        packs = np.where(blocked, 0, packs)
        pack_units = cat["pack_units"][rows.sku].astype(np.int64)
        units = packs * pack_units
        rules = (
            np.where(blocked, int(Rule.BLOCKED), 0)
            | np.where((units > 0) & (pack_units > 1), int(Rule.CASE_PACK_ROUNDING), 0)
            | np.where(packs >= self.max_packs, int(Rule.CAP), 0)
        ).astype(np.int64)
        life = cat["shelf_life_days"][rows.sku]
        ages = np.arange(rows.on_hand_by_age.shape[1])[None, :]
        expiring = (rows.on_hand_by_age * ((life[:, None] - ages) == 1) * (life[:, None] > 0)).sum(
            axis=1
        )
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
                "expiring_1d": expiring,
                "on_order": rows.on_order,
            },
        )
