"""The feedback log: rotation by size (nothing deleted), an incremental summary that survives
crashes, torn lines and several writing processes."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from policies.serving.feedback import DECISIONS, Feedback, FeedbackLog


def entry(i: int) -> Feedback:
    decision = DECISIONS[i % 3]
    final = {"accepted": None, "changed": i + 1, "rejected": None}[decision]
    return Feedback("S1", f"K{i}", i, decision, final)


def test_rotation_keeps_every_entry_in_order_and_the_summary_counts_them_all(tmp_path):
    log = FeedbackLog(tmp_path / "log.jsonl", "abc", max_bytes=2_000)
    for i in range(100):
        log.record([entry(i)])
    rotated = sorted(tmp_path.glob("log.jsonl.*[0-9]"))
    assert len(rotated) >= 5 and all(p.stat().st_size <= 2_000 for p in rotated)
    assert [e["sku_id"] for e in log.entries()] == [f"K{i}" for i in range(100)]
    summary = log.summary()
    assert summary["total"] == 100 and summary["accepted"] == 34
    assert summary["override_share"] == 66 / 100
    # a new process (a restart) reads the same summary without the rotated files' content
    for path in rotated:
        path.write_bytes(b"x" * path.stat().st_size)
    assert FeedbackLog(tmp_path / "log.jsonl", "abc", max_bytes=2_000).summary() == summary


def test_entries_a_crash_left_uncounted_and_torn_lines_are_handled(tmp_path):
    path = tmp_path / "log.jsonl"
    log = FeedbackLog(path, "abc")
    log.record([entry(0), entry(1)])
    # a crash after the append, before the summary: the line is in the log only
    with path.open("a") as f:
        f.write(
            '{"ts": "t", "policy": "abc", "store_id": "S1", "sku_id": "K9", '
            '"suggested_units": 1, "decision": "rejected", "final_units": 0}\n'
        )
    assert log.summary()["total"] == 3 and log.summary()["rejected"] == 1
    # a crash mid-write: a fragment without its newline is not counted, and the next
    # entry is whole after it
    with path.open("a") as f:
        f.write('{"ts": "t", "policy": "ab')
    assert log.summary()["total"] == 3
    log.record([entry(2)])
    assert log.summary()["total"] == 4
    assert [e["sku_id"] for e in log.entries()] == ["K0", "K1", "K9", "K2"]


def _write(path: str, start: int) -> None:
    log = FeedbackLog(path, "abc", max_bytes=5_000)
    for i in range(start, start + 100):
        log.record([entry(i)])


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "log.jsonl")
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_write, [path, path], [0, 1000]))
    log = FeedbackLog(path, "abc", max_bytes=5_000)
    skus = [e["sku_id"] for e in log.entries()]
    assert sorted(skus) == sorted(
        [f"K{i}" for i in range(100)] + [f"K{i}" for i in range(1000, 1100)]
    )
    expected = Counter(DECISIONS[i % 3] for i in [*range(100), *range(1000, 1100)])
    summary = log.summary()
    assert summary["total"] == 200 and all(summary[d] == expected[d] for d in DECISIONS)


def test_the_feedback_benchmark_prints_one_json_line():
    import json
    import subprocess
    import sys

    from tests.exported_policies import REPO

    out = subprocess.run(
        [sys.executable, "scripts/bench_feedback.py", "--entries", "3000", "--posts", "5",
         "--json"],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    (line,) = out.stdout.strip().splitlines()
    result = json.loads(line)
    assert result["logged_total"] == 3000 + 2 * 5
    assert result["ratio_long_over_empty"] > 0 and result["long_median_us"] > 0
