"""This process's peak resident memory, for the benchmarks' JSON lines.

``getrusage(RUSAGE_SELF).ru_maxrss`` is not this program's own peak on Linux when it
was started by fork and exec from a bigger process: the kernel carries the parent's
high-water mark at the fork over into the child's. ``VmHWM`` in ``/proc/self/status``
belongs to the running program's memory map only, so it is read where it exists.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident set size of this program, MB (``VmHWM``; ``ru_maxrss`` elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
