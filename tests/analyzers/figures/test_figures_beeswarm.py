import numpy as np
import pytest

from analyzers.figures.beeswarm import beeswarm_offsets
from workbench.errors import ParameterError


def _values():
    rng = np.random.default_rng(3)
    return np.concatenate([rng.normal(0.0, 0.05, 40), rng.normal(1.0, 0.3, 40)])


def test_offsets_are_deterministic():
    values = _values()
    first = beeswarm_offsets(values, 0.4, min_gap=0.02)
    np.testing.assert_array_equal(first, beeswarm_offsets(values.copy(), 0.4, min_gap=0.02))


@pytest.mark.parametrize("count", [2, 3, 4, 5, 6])
def test_a_pile_of_equal_values_is_symmetric_about_the_row(count):
    offsets = np.sort(beeswarm_offsets(np.full(count, 2.5), 0.4, min_gap=0.1, layers=4))
    np.testing.assert_allclose(offsets, -offsets[::-1], atol=1e-12)
    assert len(np.unique(offsets)) == count


def test_points_that_would_overlap_get_different_offsets_and_stay_within_width():
    values = np.array([0.0, 0.01, 0.02, 0.5, 0.505, 3.0])
    offsets = beeswarm_offsets(values, 0.4, min_gap=0.1, layers=4)
    assert np.all(np.abs(offsets) <= 0.4 + 1e-12)
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if abs(values[i] - values[j]) < 0.1:
                assert abs(offsets[i] - offsets[j]) >= 0.1 - 1e-12
    assert offsets[-1] == 0.0  # an isolated point stays on the row


def test_many_points_never_leave_the_band():
    offsets = beeswarm_offsets(_values(), 0.3, min_gap=0.05, layers=3)
    assert np.all(np.abs(offsets) <= 0.3 + 1e-12)


def test_bad_arguments_raise_one_line():
    with pytest.raises(ParameterError, match="layers must be an integer >= 1; got 0"):
        beeswarm_offsets([1.0, 2.0], layers=0)
    with pytest.raises(ParameterError, match="min_gap must be a positive number"):
        beeswarm_offsets([1.0, 2.0], min_gap=-1.0)
