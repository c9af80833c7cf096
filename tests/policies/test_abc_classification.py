"""ABC classes by hand."""

import numpy as np
import pytest

from policies.abc_classification import AbcClass, AbcPolicy


def test_classes_by_cumulative_share():
    # total 100: 50 and 30 make the first 80 % (A), 15 the next 15 % (B), the rest C
    value = np.array([15.0, 50.0, 3.0, 30.0, 2.0])
    classes = AbcPolicy().classify(value)
    assert classes.tolist() == [AbcClass.B, AbcClass.A, AbcClass.C, AbcClass.A, AbcClass.C]


def test_service_levels_and_safety_factors():
    p = AbcPolicy()
    z = p.safety_factor(np.array([AbcClass.A, AbcClass.B, AbcClass.C]))
    assert z.tolist() == pytest.approx([2.0537, 1.6449, 1.2816], abs=1e-4)
