"""Review feedback: what a person did with each suggestion, in an append-only local log.

One JSON object per line; each write is flushed and fsync'ed, so the log
survives restarts and crashes, and nothing is rewritten in place. The share
of suggestions people changed or rejected is the override share.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policies.serving.errors import StateError

DECISIONS = ("accepted", "changed", "rejected")


@dataclass(frozen=True)
class Feedback:
    """A person's decision on one suggestion.

    Attributes:
        store_id, sku_id: the store-SKU.
        suggested_units: what the system suggested.
        decision: accepted, changed or rejected.
        final_units: what was ordered in the end (required when changed; the
            suggestion when accepted, 0 when rejected).
        reviewer: who decided (optional).
        note: why (optional).
    """

    store_id: str
    sku_id: str
    suggested_units: int
    decision: str
    final_units: int | None = None
    reviewer: str | None = None
    note: str | None = None

    def checked(self) -> Feedback:
        if self.decision not in DECISIONS:
            raise StateError("decision", self.decision, f"one of {DECISIONS}")
        for name in ("suggested_units", "final_units"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise StateError(name, v, "whole units >= 0")
        final = self.final_units
        if self.decision == "changed":
            if final is None:
                raise StateError(
                    "final_units", None, "the units ordered instead (decision changed)"
                )
            if final == self.suggested_units:
                raise StateError("final_units", final, "units different from the suggestion")
        elif self.decision == "accepted":
            if final not in (None, self.suggested_units):
                raise StateError("final_units", final, "the suggestion (or 'changed')")
            final = self.suggested_units
        else:
            if final not in (None, 0):
                raise StateError("final_units", final, "0 for a rejected suggestion (or 'changed')")
            final = 0
        return Feedback(**{**asdict(self), "final_units": final})


class FeedbackLog:
    """Append-only JSON-lines log.

    Args:
        path: the log file (created with its folder when missing).
        policy_digest: recorded with every entry (which policy made the suggestion).
    """

    def __init__(self, path: str | Path, policy_digest: str = "") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.policy_digest = policy_digest
        self._lock = threading.Lock()

    def record(self, entries: list[Feedback]) -> int:
        """Validate all entries, then append them (all or none). Returns how many."""
        checked = [e.checked() for e in entries]
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = "".join(
            json.dumps({"ts": now, "policy": self.policy_digest, **asdict(e)}) + "\n"
            for e in checked
        )
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(lines)
            f.flush()
            os.fsync(f.fileno())
        return len(checked)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n"):  # a torn last line (crash mid-write) is not counted
                    out.append(json.loads(line))
        return out

    def summary(self) -> dict[str, Any]:
        """Counts per decision and the override share (changed + rejected) / all."""
        counts = Counter(e["decision"] for e in self.entries())
        total = sum(counts.values())
        overridden = counts["changed"] + counts["rejected"]
        return {
            "total": total,
            **{d: counts[d] for d in DECISIONS},
            "override_share": overridden / total if total else None,
        }
