"""Ray as the lab's distributed engine: a list of tasks run as Ray tasks, results in order.

Local by default: ``address=None`` starts Ray's in-process local cluster on 127.0.0.1 the
first time it is needed (nothing to start by hand) and keeps it for the rest of the
process; ``address="auto"`` joins a running cluster, ``"ray://host:10001"`` a remote one.
Every task is a pure function of its arguments (seeds included), so the results are the
same, to the bit, as in local processes (``tests/experiments/test_ray_executor.py``). A
failed task stops the rest and raises the task's own error (type, message, fields, notes),
as the local process pool does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from sim.progress import progress

# Ray resolves 127.0.0.1 to the machine's reachable address unless its single-machine mode is
# on; the flag is read when ray is first imported, so it is set before: a local cluster stays
# on loopback (a cluster given by address is unaffected: it has its own nodes)
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
os.environ.setdefault(LOOPBACK_ONLY, "0")


def _apply(call: Callable[[Any], Any], item: Any) -> Any:
    """A Ray task: ``call`` may be any picklable callable (a partial, a builtin)."""
    return call(item)


def ensure_ray(address: str | None = None, num_cpus: int | None = None) -> None:
    """Start (or join) Ray once per process."""
    import ray

    if ray.is_initialized():
        return
    options: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    if address is None:  # a local cluster, reachable on loopback only
        options |= {"address": "local", "num_cpus": num_cpus}
    else:
        options["address"] = address
    ray.init(**options)


def ray_map(
    call: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    desc: str = "ray",
    unit: str = "task",
    fresh_workers: bool = False,
) -> list[Any]:
    """``[call(item) for item in items]``, each a Ray task (one CPU), with a progress bar.

    ``fresh_workers`` runs each task in a new worker process (Ray's ``max_calls=1``): for
    big tasks (a region of a seed-scale chain, 3-4 GB) a long-lived worker's memory would
    carry what earlier tasks left in the allocator; small tasks share workers.
    """
    import ray
    from ray.exceptions import RayTaskError

    ensure_ray(address, num_cpus)
    remote = ray.remote(num_cpus=1, max_retries=0, max_calls=1 if fresh_workers else 0)(_apply)
    refs = [remote.remote(call, item) for item in items]
    index = {ref: i for i, ref in enumerate(refs)}
    results: list[Any] = [None] * len(refs)
    pending = list(refs)
    with progress(len(refs), desc, unit=unit) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                results[index[done[0]]] = ray.get(done[0])
            except RayTaskError as err:
                for ref in pending:  # stop now: queued work is cancelled
                    ray.cancel(ref, force=True)
                cause = err.cause if isinstance(err.cause, BaseException) else None
                raise (cause or err) from None
            bar.update()
    return results
