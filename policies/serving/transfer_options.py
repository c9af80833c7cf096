"""Transfer options for the store manager, and the manager's decision, in serving.

``transfer_options`` gives, for a state of several stores of a city, each transfer alert
(a store-SKU whose stock will expire unsold) with up to three options: receiver, units,
expected extra sales and waste avoided, the courier, the certainty that the units sell
in time, and the reasons (``policies.plan_review.plan_options``, the lab's own). Nothing
is sent: the manager decides.

The server keeps no state between requests (several worker processes answer them), so
each option id carries what it offers and a signature: ``origin|sku|receiver|units|rank``
and an HMAC-SHA256 of it under the server's key (``OptionSigner``). A decision names the
option id it was shown; an id the server did not issue (unknown, changed or from
another policy or key) is refused by name. The decision then goes to the feedback log as
any review does: ``store_id`` the sender, ``sku_id``, ``suggested_units`` the option's
units, ``decision`` accepted / changed / rejected (a veto), ``final_units`` what is sent,
with ``kind: transfer``, the option id and the receiver.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from policies.plan_review import plan_options
from policies.serving.errors import StateError
from policies.serving.feedback import Feedback

if TYPE_CHECKING:
    from policies.serving.catalog import Catalog
    from policies.serving.state import StateRows
    from policies.serving.transfer_plan import TransferPlanner

OPTIONS_PER_ALERT = 3
DECISIONS = {"accepted": "accepted", "changed": "changed", "vetoed": "rejected"}
_SEP = "|"


@dataclass(frozen=True)
class OptionSigner:
    """Signs and checks option ids. ``key``: the server's secret (``for_policy``)."""

    key: bytes

    @classmethod
    def for_policy(cls, policy_digest: str, secret: str | None) -> OptionSigner:
        """A key from the policy's manifest digest and the server's secret (its API key):
        every worker of one server signs alike; another policy or key does not."""
        return cls(hashlib.sha256(f"{policy_digest}\0{secret or ''}".encode()).digest())

    def sign(self, body: str) -> str:
        mac = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{body}.{mac}"

    def open(self, option_id: Any) -> list[str]:
        """The option id's fields, or StateError when this server did not issue it."""
        refused = StateError(
            "option_id", option_id, "an option id this server issued (POST /transfer-options)"
        )
        if not isinstance(option_id, str) or "." not in option_id:
            raise refused
        body, mac = option_id.rsplit(".", 1)
        expected = self.sign(body).rsplit(".", 1)[1]
        if not hmac.compare_digest(mac, expected):
            raise refused
        fields = body.split(_SEP)
        if len(fields) != 5:
            raise refused
        return fields


def transfer_options(
    planner: TransferPlanner,
    rows: StateRows,
    signer: OptionSigner,
    options_per_alert: int = OPTIONS_PER_ALERT,
) -> list[dict[str, Any]]:
    """Each alert with its options, city by city, as JSON-ready dicts."""
    if not 1 <= options_per_alert <= 10:
        raise StateError("options_per_alert", options_per_alert, "1..10")
    out: list[dict[str, Any]] = []
    city_of_row = planner.network.city[rows.store]
    for city in np.unique(city_of_row):
        part = rows.select(np.flatnonzero(city_of_row == city))
        stores, at_store = np.unique(part.store, return_inverse=True)
        skus, at_sku = np.unique(part.sku, return_inverse=True)
        if len(stores) < 2:
            continue
        x = planner.inputs(part, stores, at_store, skus, at_sku)
        store_ids = tuple(str(s) for s in planner.catalog["store_ids"][stores])
        sku_ids = tuple(str(s) for s in planner.catalog["sku_ids"][skus])
        for alert in plan_options(planner.rules, x, store_ids, sku_ids, options_per_alert):
            options = []
            for rank, o in enumerate(alert.options, start=1):
                body = _SEP.join(
                    [store_ids[o.origin], sku_ids[o.sku], store_ids[o.destination],
                     str(o.units), str(rank)]
                )  # fmt: skip
                options.append(
                    {
                        "option_id": signer.sign(body),
                        "to_store": store_ids[o.destination],
                        "units": o.units,
                        "extra_sales": round(o.extra_sales, 2),
                        "waste_avoided": round(o.waste_avoided, 2),
                        "courier_cost": round(o.courier_cost, 2),
                        "certainty": round(o.certainty, 4),
                        "reason": o.reason,
                    }
                )
            out.append(
                {
                    "alert_id": alert.alert_id,
                    "store_id": store_ids[alert.origin],
                    "sku_id": sku_ids[alert.sku],
                    "surplus_units": alert.surplus_units,
                    "life_left_days": alert.life_left_days,
                    "options": options,
                }
            )
    return out


def transfer_decision(decision: dict[str, Any], signer: OptionSigner, catalog: Catalog) -> Feedback:
    """The feedback entry of a manager's decision on an option.

    ``decision``: ``option_id`` (as issued), ``decision`` (accepted, changed or vetoed),
    ``final_units`` (the units sent instead, with changed), ``reviewer`` and ``note``.

    Raises:
        StateError: an option id this server did not issue, an unknown decision, or
            final units that do not fit the decision (0 to the option's units for changed).
    """
    origin, sku, receiver, units_text, _ = signer.open(decision.get("option_id"))
    kind = decision.get("decision")
    if kind not in DECISIONS:
        raise StateError("decision", kind, f"one of {sorted(DECISIONS)}")
    units = int(units_text)
    final = decision.get("final_units")
    if kind == "changed" and not (
        isinstance(final, int) and not isinstance(final, bool) and 0 <= final <= units
    ):
        raise StateError("final_units", final, f"whole units 0..{units} (the option's at most)")
    for name, known in (("store_id", origin), ("sku_id", sku), ("to_store", receiver)):
        index = catalog.store_index if name != "sku_id" else catalog.sku_index
        if known not in index:  # signed, but for another catalog
            raise StateError(name, known, "an id of the policy's catalog")
    entry = Feedback(
        store_id=origin,
        sku_id=sku,
        suggested_units=units,
        decision=DECISIONS[kind],
        final_units=final if kind == "changed" else None,
        reviewer=decision.get("reviewer"),
        note=decision.get("note"),
        kind="transfer",
        option_id=decision["option_id"],
        to_store=receiver,
    )
    return entry.checked()
