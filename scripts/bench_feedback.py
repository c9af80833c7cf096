"""Benchmark: a feedback POST's cost with an empty log and with a long one, in one run.

    python scripts/bench_feedback.py --entries 1000000 --json

Times ``FeedbackLog.record`` of one entry followed by ``summary()`` (what ``POST
/feedback`` does besides HTTP) ``--posts`` times on an empty log, then fills the log
with ``--entries`` entries (in batches, not timed) and times the same again. Prints one
JSON line: the median and p99 microseconds of both and ``ratio_long_over_empty``
(goal ≤ 2: the summary is kept incrementally, not re-read).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.serving.feedback import Feedback, FeedbackLog


def post_micros(log: FeedbackLog, posts: int) -> np.ndarray:
    times = np.empty(posts)
    one = [Feedback("S1", "K1", 3, "changed", 5)]
    for i in range(posts):
        t0 = time.perf_counter()
        log.record(one)
        log.summary()
        times[i] = time.perf_counter() - t0
    return times * 1e6


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.entries < 0 or args.posts < 1:
        parser.error("--entries must be >= 0 and --posts >= 1")
    with tempfile.TemporaryDirectory() as tmp:
        log = FeedbackLog(Path(tmp) / "log.jsonl", "bench")
        empty = post_micros(log, args.posts)
        batch = [Feedback("S1", f"K{i}", 1, "accepted", None) for i in range(100_000)]
        left = args.entries
        while left > 0:
            log.record(batch[: min(left, len(batch))])
            left -= min(left, len(batch))
        long = post_micros(log, args.posts)
        total = log.summary()["total"]
    result = {
        "entries": args.entries,
        "posts": args.posts,
        "logged_total": total,
        "empty_median_us": round(float(np.median(empty)), 1),
        "empty_p99_us": round(float(np.percentile(empty, 99)), 1),
        "long_median_us": round(float(np.median(long)), 1),
        "long_p99_us": round(float(np.percentile(long, 99)), 1),
        "ratio_long_over_empty": round(float(np.median(long) / np.median(empty)), 2),
    }
    print(json.dumps(result) if args.json else result)
    return result


if __name__ == "__main__":
    main()
