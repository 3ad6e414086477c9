"""Renamed parameters keep working one release, with a warning naming the new spelling."""

import inspect

import pytest

from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError


@renamed_parameters(seed="random_state")
def _sample(n: int, *, random_state: int = 0) -> tuple[int, int]:
    return n, random_state


def test_the_old_name_warns_and_is_passed_on():
    with pytest.warns(FutureWarning, match="seed= is renamed random_state="):
        assert _sample(3, seed=7) == (3, 7)


def test_the_new_name_is_silent_and_the_signature_shows_it(recwarn):
    assert _sample(3, random_state=7) == (3, 7)
    assert not recwarn.list
    assert inspect.signature(_sample).parameters["random_state"].default == 0


def test_both_names_at_once_is_a_one_line_error():
    with pytest.raises(ParameterError, match="seed: renamed to random_state"):
        _sample(3, seed=1, random_state=2)
