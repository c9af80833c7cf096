"""Tasks that failed after their retry, with every other task's result kept.

Both executors (local processes and Ray, ``experiments.evaluate.run_jobs``) run a failed
task once more and then go on with the rest: one bad seed of a 360-task study does not
cost the other 359 results. What failed arrives together at the end as ``TaskFailures``,
each task named by its label (policy, seed and shard in a what-if).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RETRIES = 1  # a failed task runs once more (a lost worker, a transient fault), then it is reported


@dataclass(frozen=True)
class TaskFailure:
    """One task that failed on every attempt: its place in the task list, its name, the
    last attempt's error (its own type, message and notes)."""

    index: int
    label: str
    error: BaseException


class TaskFailures(RuntimeError):
    """Tasks that failed after ``RETRIES`` retries each.

    Attributes:
        failures: the failed tasks, in task order.
        results: every task's result in task order, None where the task failed.
    """

    def __init__(self, failures: list[TaskFailure], results: list[Any]) -> None:
        self.failures = failures
        self.results = results
        shown = "; ".join(f"{f.label}: {type(f.error).__name__}: {f.error}" for f in failures[:10])
        more = f" (+{len(failures) - 10} more)" if len(failures) > 10 else ""
        super().__init__(
            f"{len(failures)} of {len(results)} tasks failed after {RETRIES} retry each"
            f" (the other results are kept): {shown}{more}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.failures, self.results), self.__dict__


def raise_failures(failures: list[TaskFailure], results: list[Any]) -> None:
    """Raise ``TaskFailures`` if any task failed; a single failure keeps its own error as
    the cause, so its traceback is shown."""
    if not failures:
        return
    failures = sorted(failures, key=lambda f: f.index)
    raise TaskFailures(failures, results) from failures[0].error
