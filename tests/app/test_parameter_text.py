"""Parameters as URLs and forms write them: OptInter's pairs to switch, one stored result for one
choice whatever order it was given in, and a malformed choice refused in one line."""

from __future__ import annotations

import pytest

from app.analyses import analysis
from app.parameter_text import field_pairs
from workbench.errors import ParameterError


def test_the_same_pairs_in_any_order_are_one_parameter():
    spec = analysis("optinter_switches")
    from_url = spec.parameters({"pairs": "size,colour;shape,colour;colour,size"})["pairs"]
    from_form = spec.parameters({"pairs": ["colour,shape", "colour,size"]}, from_form=True)
    assert from_url == from_form["pairs"] == "colour,shape;colour,size"
    assert field_pairs(from_url) == [("colour", "shape"), ("colour", "size")]
    # none named (a URL without it, an emptied multi-select): every pair
    assert spec.parameters({})["pairs"] == spec.parameters({"pairs": []})["pairs"] == ""
    assert field_pairs("") is None


@pytest.mark.parametrize("pairs", ["colour", "colour,size,shape", "colour,colour", ["a,"]])
def test_a_malformed_pair_is_refused_in_one_line(pairs):
    with pytest.raises(ParameterError, match=r"^pairs: expected 'a,b;c,d' \(two different"):
        analysis("optinter_switches").parameters({"pairs": pairs})
