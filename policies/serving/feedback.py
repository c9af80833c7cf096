"""Review feedback: what a person did with each suggestion, in an append-only local log.

One JSON object per line; each write is flushed and fsync'ed, so the log
survives restarts and crashes, and nothing is rewritten in place. The share
of suggestions people changed or rejected is the override share.

The log rotates by size: past ``max_bytes`` the file is renamed ``<log>.1``,
``<log>.2``, ... (never deleted) and a new one starts. The summary is kept
incrementally in ``<log>.summary.json`` (counts per decision plus how far into
which file they reach), so a POST costs the same with a million entries as
with none; entries a crash wrote after the last summary are counted from that
offset on the next read. Writers in several server processes take an
exclusive ``flock`` on ``<log>.lock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policies.serving.errors import StateError

DECISIONS = ("accepted", "changed", "rejected")
KINDS = ("order", "transfer")


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
        kind: ``order`` (a replenishment suggestion) or ``transfer`` (a transfer option:
            ``store_id`` sends to ``to_store``; rejected is the manager's veto).
        option_id: the transfer option decided on (``transfer_options``).
        to_store: the transfer's receiver.
    """

    store_id: str
    sku_id: str
    suggested_units: int
    decision: str
    final_units: int | None = None
    reviewer: str | None = None
    note: str | None = None
    kind: str = "order"
    option_id: str | None = None
    to_store: str | None = None

    def checked(self) -> Feedback:
        if self.decision not in DECISIONS:
            raise StateError("decision", self.decision, f"one of {DECISIONS}")
        if self.kind not in KINDS:
            raise StateError("kind", self.kind, f"one of {KINDS}")
        if self.kind == "transfer" and not (self.option_id and self.to_store):
            raise StateError("option_id", self.option_id, "the option and its receiver")
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
    """Append-only JSON-lines log, rotated by size, with an incremental summary.

    Args:
        path: the log file (created with its folder when missing).
        policy_digest: recorded with every entry (which policy made the suggestion).
        max_bytes: size past which the log is rotated (default 64 MiB).
    """

    def __init__(
        self, path: str | Path, policy_digest: str = "", max_bytes: int = 64 * 2**20
    ) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise StateError("max_bytes", max_bytes, "an integer >= 1")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.policy_digest = policy_digest
        self.max_bytes = max_bytes
        self.summary_path = self.path.with_name(self.path.name + ".summary.json")
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self._lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def record(self, entries: list[Feedback]) -> int:
        """Validate all entries, then append them (all or none). Returns how many."""
        checked = [e.checked() for e in entries]
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = "".join(
            json.dumps({"ts": now, "policy": self.policy_digest, **asdict(e)}) + "\n"
            for e in checked
        ).encode("utf-8")
        with self._locked():
            state = self._current_summary()
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(lines) > self.max_bytes:
                state["rotated"] += 1
                os.rename(self.path, self._rotated(state["rotated"]))
                state["offset"] = size = 0
            if size and _ends_torn(self.path):
                # a crash mid-write left a fragment: end it, so the new lines stay whole
                lines = b"\n" + lines
            with self.path.open("ab") as f:
                f.write(lines)
                f.flush()
                os.fsync(f.fileno())
            for e in checked:
                state["counts"][e.decision] += 1
            state["offset"] = size + len(lines)
            self._write_summary(state)
        return len(checked)

    def _rotated(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    def _files(self, rotated: int) -> list[Path]:
        return [*(self._rotated(i) for i in range(1, rotated + 1)), self.path]

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first, across the rotated files."""
        with self._locked():
            rotated = self._current_summary()["rotated"]
        out = []
        for path in self._files(rotated):
            out.extend(_complete_lines(path, 0)[0])
        return out

    def _current_summary(self) -> dict[str, Any]:
        """The stored summary brought up to the log's end (entries a crash left uncounted);
        rebuilt from the files when there is none. Call with the lock held."""
        try:
            state = json.loads(self.summary_path.read_text())
            state["counts"] = Counter(state["counts"])
        except (OSError, ValueError, KeyError):
            state = {"counts": Counter(), "rotated": 0, "offset": 0}
            while self._rotated(state["rotated"] + 1).exists():
                state["rotated"] += 1
            for path in self._files(state["rotated"])[:-1]:
                state["counts"].update(e["decision"] for e in _complete_lines(path, 0)[0])
        if self.path.exists() and self.path.stat().st_size > state["offset"]:
            tail, end = _complete_lines(self.path, state["offset"])
            state["counts"].update(e["decision"] for e in tail)
            state["offset"] = end
        return state

    def _write_summary(self, state: dict[str, Any]) -> None:
        tmp = self.summary_path.with_name(self.summary_path.name + f".tmp{os.getpid()}")
        tmp.write_text(json.dumps({**state, "counts": dict(state["counts"])}))
        os.replace(tmp, self.summary_path)

    def summary(self) -> dict[str, Any]:
        """Counts per decision and the override share (changed + rejected) / all."""
        with self._locked():
            counts = self._current_summary()["counts"]
        total = sum(counts[d] for d in DECISIONS)
        overridden = counts["changed"] + counts["rejected"]
        return {
            "total": total,
            **{d: counts[d] for d in DECISIONS},
            "override_share": overridden / total if total else None,
        }


def _complete_lines(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    """The entries of ``path`` from byte ``offset`` on, and the offset after the last
    complete line (a torn last line, from a crash mid-write, is not counted)."""
    if not path.exists():
        return [], offset
    with path.open("rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1
    entries = []
    for line in data[:end].splitlines():
        with contextlib.suppress(ValueError):  # a fragment a crash left (its POST failed)
            entries.append(json.loads(line))
    return entries, offset + end


def _ends_torn(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"
