"""Gate and attribution colours land on the right points of a table map."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analyzers.embeddings.coloring import attribution_per_point, gate_values_per_level
from workbench.errors import ParameterError


def test_gate_values_follow_field_and_level():
    per_level = pd.DataFrame(
        {
            "site": ["g", "g", "g", "other"],
            "field": ["a", "a", "b", "a"],
            "level": [0, 2, 1, 0],
            "mean_gate": [0.1, 0.3, 0.7, 9.0],
        }
    )
    values = gate_values_per_level(SimpleNamespace(per_level=per_level), "g", ["a", "b"], [3, 2])
    # map order: a=0, a=1, a=2, b=0, b=1; a=1 and b=0 never occur
    np.testing.assert_array_equal(values, [0.1, np.nan, 0.3, np.nan, 0.7])
    with pytest.raises(ParameterError, match="site 'h' has no per-level gate values"):
        gate_values_per_level(SimpleNamespace(per_level=per_level), "h", ["a", "b"], [3, 2])


def test_attribution_is_repeated_over_a_fields_levels():
    per_field = pd.DataFrame(
        {
            "method": ["ig", "ig", "fa"],
            "site": ["emb", "emb", "emb"],
            "field": ["a", "b", "a"],
            "mean_abs_attribution": [0.5, 0.25, 2.0],
        }
    )
    values = attribution_per_point(SimpleNamespace(per_field=per_field), "ig", ["a", "b"], [2, 3])
    np.testing.assert_array_equal(values, [0.5, 0.5, 0.25, 0.25, 0.25])
    with pytest.raises(ParameterError, match="no attributions for method 'lrp'"):
        attribution_per_point(SimpleNamespace(per_field=per_field), "lrp", ["a"], [1])
