"""argparse ``type=`` checks of numeric options: an integer or real in bounds, with a one-line
message naming what was expected."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _number_type(
    convert: Callable[[str], float], what: str, low: float, high: float, low_open: bool
) -> Callable[[str], float]:
    """An argparse ``type=``: ``convert(text)`` if finite and in [low, high] (or (low, high])."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        below = value <= low if low_open else value < low
        if not math.isfinite(value) or below or value > high:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def bounded_int(low: int, high: float = math.inf) -> Callable[[str], int]:
    """Type of an integer option in [low, high]: ``type=bounded_int(1)``."""
    what = f"an integer >= {low}" if high == math.inf else f"an integer in [{low}, {high}]"
    return _number_type(int, what, low, high, low_open=False)


def bounded_float(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """Type of a real option in [low, high] (or (low, high]): ``type=bounded_float(0, 1)``."""
    what = f"a number in {'(' if low_open else '['}{low:g}, {high:g}]"
    return _number_type(float, what, low, high, low_open=low_open)


#: every count that must be at least one (rows, permutations, samples, epochs...)
positive_int = bounded_int(1)
#: counts where 0 means "none" or "all" (halo plots, gate rows)
nonnegative_int = bounded_int(0)
#: positive finite reals (ε, ε rate, grid spacing)
positive_float = _number_type(float, "a positive number", 0.0, math.inf, low_open=True)
#: the largest bootstrap count the gates analysis allows: its draws are held in memory at once
MAX_BOOTSTRAP = 10_000
