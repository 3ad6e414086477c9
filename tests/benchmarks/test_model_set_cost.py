"""The model-set cost benchmark runs end to end at tiny sizes and prints its ratio lines.

Timings are not asserted (a shared machine); what is: both arms of the dropout set agree, and
the warm-cache run of the retrained set trains nothing and reads every member.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

# benchmarks/ is a folder of scripts, not a package: its modules import each other by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from model_set_cost import main


@pytest.mark.slow
def test_tiny_run_prints_both_ratios_and_a_warm_cache_that_trains_nothing(capsys):
    tiny = "--threads 1 --members 4 --rows 64 --repeats 1 --seeds 2 --trees 3 --explained-rows 4"
    main([*tiny.split(), "--index", "h2"])
    out = capsys.readouterr().out
    assert re.search(r"ratio one-by-one / batched: wall [\d.]+x, process [\d.]+x", out)
    difference = float(re.search(r"difference between the arms: (\S+)", out).group(1))
    assert difference < 1e-5
    assert re.search(r"ratio cold / warm members: wall [\d.]+x, process [\d.]+x", out)
    cold = re.search(r"cold cache(?:\s+\S+){4}\s+(\d+)\s+(\d+)", out).groups()
    warm = re.search(r"warm cache(?:\s+\S+){4}\s+(\d+)\s+(\d+)", out).groups()
    assert (cold, warm) == (("2", "0"), ("0", "2"))  # (trained, cached)
