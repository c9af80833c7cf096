"""Ray as the lab's distributed engine: a list of tasks run as Ray tasks, results in order.

Local by default: ``address=None`` starts Ray's in-process local cluster on 127.0.0.1 the
first time it is needed (nothing to start by hand) and keeps it for the rest of the
process; ``address="auto"`` joins a running cluster, ``"ray://host:10001"`` a remote one.
Every task is a pure function of its arguments (seeds included), so the results are the
same, to the bit, as in local processes (``tests/experiments/test_ray_executor.py``). A
failed task runs once more; if it fails again the others still run, and the failures
arrive together as ``TaskFailures`` (each task's own error, its label, the other results
kept), as in the local process pool. An address that no cluster answers is refused by
name within seconds (Ray itself would retry for two minutes and then exit the process).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from experiments.task_failures import RETRIES, TaskFailure, raise_failures
from sim.errors import ConfigError
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

    if address is not None:
        check_reachable(address)  # before Ray: it would retry for minutes, then exit
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
    try:
        ray.init(**options)
    except ConnectionError as err:  # reachable, but no Ray cluster answered there
        raise ConfigError("ray.address", address, f"{ADDRESSES} ({err})") from None


ADDRESSES = (
    "null (a local cluster), auto (the cluster running on this machine), host:port of a"
    " running head node's GCS (ray start --head) or ray://host:10001 (Ray Client)"
)
CONNECT_TIMEOUT_S = 5.0


def check_reachable(address: str) -> None:
    """Refuse a cluster address that nothing listens on, naming it, within
    ``CONNECT_TIMEOUT_S`` (``auto`` is Ray's own lookup on this machine and fails fast)."""
    if address in ("auto", "local"):
        return
    parts = urlsplit(address if "://" in address else f"gcs://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port that is not a number
        host = port = None
    if not host or port is None:
        raise ConfigError("ray.address", address, ADDRESSES)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ConfigError(
            "ray.address", address, f"{ADDRESSES}; nothing answered at {host}:{port} ({reason})"
        ) from None


def ray_map(
    call: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    desc: str = "ray",
    unit: str = "task",
    fresh_workers: bool = False,
    labels: Sequence[str] | None = None,
) -> list[Any]:
    """``[call(item) for item in items]``, each a Ray task (one CPU), with a progress bar.

    A task that raises (or whose worker dies) runs once more (``RETRIES``); after that its
    error is kept and the other tasks go on. ``TaskFailures`` then names every failed task
    by its label (``labels``, default ``task i``) and carries the other results.
    ``fresh_workers`` runs each task in a new worker process (Ray's ``max_calls=1``): for
    big tasks (a region of a seed-scale chain, 3-4 GB) a long-lived worker's memory would
    carry what earlier tasks left in the allocator; small tasks share workers.
    """
    import ray
    from ray.exceptions import RayError, RayTaskError

    ensure_ray(address, num_cpus)
    remote = ray.remote(
        num_cpus=1,
        max_retries=RETRIES,
        retry_exceptions=True,
        max_calls=1 if fresh_workers else 0,
    )(_apply)
    names = list(labels) if labels is not None else [f"task {i}" for i in range(len(items))]
    refs = [remote.remote(call, item) for item in items]
    index = {ref: i for i, ref in enumerate(refs)}
    results: list[Any] = [None] * len(refs)
    failures: list[TaskFailure] = []
    pending = list(refs)
    with progress(len(refs), desc, unit=unit) as bar:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            i = index[done[0]]
            try:
                results[i] = ray.get(done[0])
            except RayTaskError as err:
                cause = err.cause if isinstance(err.cause, BaseException) else err
                failures.append(TaskFailure(i, names[i], cause))
            except RayError as err:  # the worker died on both attempts
                failures.append(TaskFailure(i, names[i], err))
            bar.update()
    raise_failures(failures, results)
    return results
