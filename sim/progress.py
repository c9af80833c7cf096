"""Progress bars of every long job, in one style (tqdm on stderr).

A bar shows only on a terminal (``disable=None``): in a log file or a test's captured output
it stays silent instead of writing carriage-return updates. Tuning trials, what-if
replications, CMA-ES generations and training timesteps all use ``progress``.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress(total: int | None, desc: str, unit: str = "it", *, show: bool = True) -> tqdm:
    """A bar of ``total`` steps; ``show=False`` makes it silent everywhere."""
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        file=sys.stderr,
        dynamic_ncols=True,
        disable=None if show else True,
        leave=True,
    )
