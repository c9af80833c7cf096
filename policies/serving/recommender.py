"""``Recommender``: a verified policy folder turned into daily suggestions.

``Recommender.load(folder)`` checks the manifest's checksum and format version
and every file's SHA-256 before using anything, and reads only ONNX, JSON and
plain numpy arrays (never a pickle). ``recommend(state)`` is a pure function of
(policy, state): per store-SKU the suggested order, the reason, the alert tier
with its response, and the business rules applied. The system recommends; a
person reviews (see ``policies.serving.feedback``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pydantic_core

from policies.alerts import Response, Tier
from policies.serving.alerts import state_alerts
from policies.serving.catalog import Catalog, load_catalog
from policies.serving.decision import (
    RULE_NAMES,
    display_array,
    display_values,
    reasons_json,
    render_reasons,
    rule_names,
)
from policies.serving.errors import PolicyIntegrityError, ServingError
from policies.serving.feedback import Feedback
from policies.serving.integrity import load_verified
from policies.serving.state import StateRows, parse_state
from policies.serving.transfer_options import (
    OPTIONS_PER_ALERT,
    OptionSigner,
    transfer_decision,
    transfer_options,
)
from policies.serving.transfer_plan import (
    NETWORK_FILE,
    RowTransfers,
    TransferPlanner,
    load_network,
)

TIER_NAMES = np.array([t.name.lower() for t in Tier], dtype=object)
RESPONSE_NAMES = np.array([r.name.lower() for r in Response], dtype=object)
RULE_LISTS = [rule_names(flags) for flags in range(8)]
REASONS = ("text", "structured")


def _json_each(values: list[Any]) -> np.ndarray:
    """Each value as JSON (an object array of bytes): a column is then one ``b",".join``."""
    out = np.empty(len(values), dtype=object)
    out[:] = [pydantic_core.to_json(v) for v in values]
    return out


_TIER_JSON = _json_each(TIER_NAMES.tolist())
_RESPONSE_JSON = _json_each(RESPONSE_NAMES.tolist())
_RULES_JSON = _json_each(RULE_LISTS)
_TIER_TEXT = TIER_NAMES.astype(str)
_RESPONSE_TEXT = RESPONSE_NAMES.astype(str)


@dataclass(frozen=True)
class CatalogIds:
    """The catalog's store and SKU ids, as str and as JSON texts (object arrays)."""

    stores: np.ndarray  # [stores] object: str
    skus: np.ndarray  # [skus] object: str
    stores_json: np.ndarray  # [stores] object: the id as JSON bytes, quotes included
    skus_json: np.ndarray  # [skus] object
    stores_text: np.ndarray  # [stores] unicode array
    skus_text: np.ndarray  # [skus] unicode array

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogIds:
        stores = [str(s) for s in catalog["store_ids"]]
        skus = [str(s) for s in catalog["sku_ids"]]
        return cls(
            stores=np.array(stores, dtype=object),
            skus=np.array(skus, dtype=object),
            stores_json=_json_each(stores),
            skus_json=_json_each(skus),
            stores_text=np.array(stores, dtype=str),
            skus_text=np.array(skus, dtype=str),
        )


@dataclass(frozen=True)
class Recommendations:
    """Suggestions for ``n`` store-SKU rows, in the order of the request."""

    store: np.ndarray  # [n] int64 catalog index of each row's store
    sku: np.ndarray  # [n] int64 catalog index of each row's SKU
    ids: CatalogIds
    order_units: np.ndarray  # [n] int64
    order_packs: np.ndarray  # [n] int64
    reason_template: str
    reason_terms: dict[str, np.ndarray]
    alert_tier: np.ndarray  # [n] Tier values
    alert_response: np.ndarray  # [n] Response values
    rules: np.ndarray  # [n] Rule flags
    transfers: RowTransfers | None = None  # policies that plan transfers (transfer_rules)

    @property
    def n(self) -> int:
        return len(self.sku)

    @property
    def store_ids(self) -> list[str]:
        return self.ids.stores[self.store].tolist()

    @property
    def sku_ids(self) -> list[str]:
        return self.ids.skus[self.sku].tolist()

    @property
    def reasons(self) -> list[str]:
        """One sentence per row a store manager can read (rendered on each access)."""
        return render_reasons(self.reason_template, self.reason_terms, self.rules)

    def to_columns(self, reasons: str = "text") -> dict[str, Any]:
        """Plain lists, ready for JSON or a table.

        Args:
            reasons: ``text`` for one sentence per row (``reasons``), or
                ``structured`` for ``reason_template`` plus ``reason_terms`` (one
                list per placeholder) for callers that render or translate them.
        """
        out: dict[str, Any] = {
            "store_ids": self.store_ids,
            "sku_ids": self.sku_ids,
            "order_units": self.order_units.tolist(),
            "order_packs": self.order_packs.tolist(),
        }
        if reasons == "text":
            out["reasons"] = self.reasons
        elif reasons == "structured":
            out["reason_template"] = self.reason_template
            out["reason_terms"] = {k: display_values(v) for k, v in self.reason_terms.items()}
        else:
            raise ValueError(f"reasons: got {reasons!r}; allowed: 'text' or 'structured'")
        out["alerts"] = TIER_NAMES[self.alert_tier].tolist()
        out["alert_responses"] = RESPONSE_NAMES[self.alert_response].tolist()
        out["rules"] = [RULE_LISTS[f] for f in self.rules.tolist()]
        if self.transfers is not None:
            out |= self._transfer_columns()
        return out

    def _transfer_columns(self) -> dict[str, list[Any]]:
        """``transfer_units``, ``transfer_to`` (store id, "" for none), ``transfer_reasons``."""
        t = self.transfers
        assert t is not None
        to = np.append(self.ids.stores, "")[t.to_store]  # index -1 reads the ""
        return {
            "transfer_units": t.units.tolist(),
            "transfer_to": to.tolist(),
            "transfer_reasons": list(t.reasons),
        }

    def to_json(self, policy: str, reasons: str = "text") -> bytes:
        """``{"policy": policy, **to_columns(reasons)}`` as compact JSON, byte for byte.

        Writes each column straight from the arrays (ids, tiers and rules are
        JSON texts looked up per row), without the lists of ``to_columns``.
        """
        dumps = pydantic_core.to_json
        parts = [
            b'{"policy":' + dumps(policy),
            b'"store_ids":' + _join(self.ids.stores_json[self.store]),
            b'"sku_ids":' + _join(self.ids.skus_json[self.sku]),
            b'"order_units":' + dumps(self.order_units.tolist()),
            b'"order_packs":' + dumps(self.order_packs.tolist()),
        ]
        if reasons == "text":
            parts.append(
                b'"reasons":' + reasons_json(self.reason_template, self.reason_terms, self.rules)
            )
        elif reasons == "structured":
            terms = {k: display_values(v) for k, v in self.reason_terms.items()}
            parts.append(b'"reason_template":' + dumps(self.reason_template))
            parts.append(b'"reason_terms":' + dumps(terms))
        else:
            raise ValueError(f"reasons: got {reasons!r}; allowed: 'text' or 'structured'")
        parts.append(b'"alerts":' + _join(_TIER_JSON[self.alert_tier]))
        parts.append(b'"alert_responses":' + _join(_RESPONSE_JSON[self.alert_response]))
        parts.append(b'"rules":' + _join(_RULES_JSON[self.rules]))
        if self.transfers is not None:
            parts += [b'"%s":' % k.encode() + dumps(v) for k, v in self._transfer_columns().items()]
        return b",".join(parts) + b"}"

    def to_arrays(self, reasons: str = "text") -> dict[str, np.ndarray]:
        """The columns of ``to_columns`` as numpy arrays (for ``.npz``).

        Ids, reasons, alerts and responses are unicode arrays; each reason term is
        ``reason_terms.<name>`` (whole numbers as int64, others float64 to 2
        decimals); each rule is ``rules.<name>``, True where it applied.
        """
        out: dict[str, np.ndarray] = {
            "store_ids": self.ids.stores_text[self.store],
            "sku_ids": self.ids.skus_text[self.sku],
            "order_units": self.order_units,
            "order_packs": self.order_packs,
        }
        if reasons == "text":
            out["reasons"] = np.array(self.reasons, dtype=str)
        elif reasons == "structured":
            out["reason_template"] = np.array(self.reason_template)
            for name, values in self.reason_terms.items():
                out[f"reason_terms.{name}"] = display_array(values)
        else:
            raise ValueError(f"reasons: got {reasons!r}; allowed: 'text' or 'structured'")
        out["alerts"] = _TIER_TEXT[self.alert_tier]
        out["alert_responses"] = _RESPONSE_TEXT[self.alert_response]
        for flag, name in RULE_NAMES.items():
            out[f"rules.{name}"] = (self.rules & flag) != 0
        if self.transfers is not None:
            columns = self._transfer_columns()
            out["transfer_units"] = self.transfers.units
            out["transfer_to"] = np.array(columns["transfer_to"], dtype=str)
            out["transfer_reasons"] = np.array(columns["transfer_reasons"], dtype=str)
        return out


def _join(texts: np.ndarray) -> bytes:
    """A JSON array from an object array of JSON values (bytes)."""
    return b"[" + b",".join(texts.tolist()) + b"]"


class Recommender:
    """A served policy. Build it with ``Recommender.load(folder)``."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        catalog: Catalog,
        policy: Any,
        transfers: TransferPlanner | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.catalog = catalog
        self.policy = policy
        self.transfers = transfers
        self.ids = CatalogIds.of(catalog)

    @classmethod
    def load(cls, folder: str | Path) -> Recommender:
        """Verify and load an exported policy folder.

        Raises:
            PolicyIntegrityError: a changed, missing or unlisted file, or a changed manifest.
            PolicyFormatError: an unknown format version, kind or rule.
        """
        folder = Path(folder)
        manifest, contents = load_verified(folder)
        catalog_file = manifest["catalog"]["file"]
        catalog = load_catalog(
            io.BytesIO(_listed(folder, contents, catalog_file)), str(folder / catalog_file)
        )
        if manifest["kind"] == "onnx":
            from policies.serving.onnx_policy import OnnxPolicy

            model = _listed(folder, contents, manifest["onnx"]["file"])
            policy: Any = OnnxPolicy(model, manifest, catalog)
        else:
            from policies.serving.rule_policy import RulePolicy

            policy = RulePolicy(manifest["heuristic"], catalog)
        planner = None
        if "transfers" in manifest:
            spec = manifest["transfers"]
            data = _listed(folder, contents, spec.get("file", NETWORK_FILE))
            network = load_network(data, spec.get("courier", {}), catalog.n_stores)
            planner = TransferPlanner(spec, network, catalog)
        return cls(folder, manifest, catalog, policy, planner)

    def metadata(self) -> dict[str, Any]:
        """What a caller may want to know: the manifest, without the file hashes and with
        absolute paths cut to their file names (where the policy was exported from is the
        exporting machine's business, not the caller's)."""
        shown = {k: v for k, v in self.manifest.items() if k != "files"}
        return _without_local_paths(shown) | {
            "n_stores": self.catalog.n_stores,
            "n_skus": self.catalog.n_skus,
        }

    def parse(self, state: Mapping[str, Any]) -> StateRows:
        return parse_state(state, self.catalog)

    def transfer_options(
        self,
        state: Mapping[str, Any] | StateRows,
        *,
        signer: OptionSigner | None = None,
        options_per_alert: int = OPTIONS_PER_ALERT,
    ) -> list[dict[str, Any]]:
        """The transfer alerts of ``state`` (several stores of a city) with their options,
        each option id signed (``policies.serving.transfer_options``); nothing is sent.

        Raises:
            ServingError: the policy plans no transfers.
            StateError: a refused state.
        """
        if self.transfers is None:
            raise ServingError("this policy plans no transfers (export transfer_rules)")
        rows = state if isinstance(state, StateRows) else self.parse(state)
        return transfer_options(self.transfers, rows, signer or self.signer, options_per_alert)

    def decide_transfer(
        self, decision: Mapping[str, Any], *, signer: OptionSigner | None = None
    ) -> Feedback:
        """The feedback entry of a manager's decision on an option (record it with
        ``FeedbackLog.record``); a vetoed option moves nothing.

        Raises:
            StateError: an option id this policy did not issue, or a bad decision.
        """
        if self.transfers is None:
            raise ServingError("this policy plans no transfers (export transfer_rules)")
        return transfer_decision(dict(decision), signer or self.signer, self.catalog)

    @cached_property
    def manifest_digest(self) -> str:
        """The manifest's SHA-256: which exported policy a feedback entry or an option
        id refers to."""
        return hashlib.sha256((self.folder / "manifest.json").read_bytes()).hexdigest()

    @cached_property
    def signer(self) -> OptionSigner:
        """Signs option ids for this policy (no secret: the HTTP server adds its key)."""
        return OptionSigner.for_policy(self.manifest_digest, None)

    def recommend(
        self, state: Mapping[str, Any] | StateRows, *, mean_age: dict[int, float] | None = None
    ) -> Recommendations:
        """Suggestions for the rows of ``state`` (columns as in ``policies.serving.state``).

        Args:
            mean_age: when ``state`` is a batch of a bigger state, the bigger state's
                mean stock age per category (``alerts.category_mean_age``): the time-on-shelf
                alert compares a row with its category across the whole chain.

        Raises:
            StateError: naming the refused column, row and what is allowed.
        """
        rows = state if isinstance(state, StateRows) else self.parse(state)
        decision = self.policy.decide(rows)
        alerts = state_alerts(rows, self.catalog, mean_age=mean_age)
        pack_units = self.catalog["pack_units"][rows.sku].astype(np.int64)
        return Recommendations(
            store=rows.store,
            sku=rows.sku,
            ids=self.ids,
            order_units=decision.units,
            order_packs=decision.units // np.maximum(pack_units, 1),
            reason_template=decision.reason_template,
            reason_terms=decision.reason_terms,
            alert_tier=alerts.tier.astype(np.int64),
            alert_response=alerts.response.astype(np.int64),
            rules=decision.rules,
            transfers=self.transfers.plan(rows) if self.transfers is not None else None,
        )


def _listed(folder: Path, contents: dict[str, bytes], name: str) -> bytes:
    """A verified file's bytes; a manifest that names a file it does not list is refused."""
    if name not in contents:
        raise PolicyIntegrityError(f"{folder}: {name} is not listed in the manifest; refusing")
    return contents[name]


def _without_local_paths(value: Any) -> Any:
    """``value`` with every absolute path (POSIX or Windows) replaced by its file name."""
    if isinstance(value, dict):
        return {k: _without_local_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_local_paths(v) for v in value]
    if isinstance(value, str) and (
        PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute()
    ):
        return PureWindowsPath(value).name if "\\" in value else PurePosixPath(value).name
    return value
