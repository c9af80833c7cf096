"""The benchmarks' peak memory is the measured program's own, not its parent's."""

import subprocess
import sys

import numpy as np

from tests.exported_policies import REPO

CHILD = "from scripts.peak_memory import peak_rss_mb; print(peak_rss_mb())"


def test_a_small_child_of_a_big_parent_reports_its_own_peak():
    held = np.ones(40_000_000)  # 320 MB resident in this process while the child starts
    held[::512] = 2.0
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert 5.0 < float(out.stdout) < 200.0  # an interpreter, not the parent's 320 MB
    assert held.sum() > 0
