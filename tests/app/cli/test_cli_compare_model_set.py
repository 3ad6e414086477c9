"""``workbench compare --model-set``: verdicts against a model set's range from a result.json
that ``workbench rashomon-set`` writes (planted here, so the range is known), one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from analyzers.compare_result import INSIDE_VERDICT, OUTSIDE_VERDICT
from analyzers.model_sets import ModelSetResult
from tests.app.cli.test_cli_compare import files, run_compare  # noqa: F401 (fixture)

GROUPS = ("x1", "x2", "x3", "x4")
PLANTED = "x2 × x3"  # the planted model's only interaction; the additive one has none
OPTIONS = ("--index", "fis", "--estimator", "exact", "--formats", "html")


def planted_set(ranges: dict[str, tuple[float, float]], index="fis", **settings) -> str:
    """The JSON of a two-member set whose in-set strengths span ``ranges`` (other pairs: 0)."""
    pairs = [f"{a} × {b}" for i, a in enumerate(GROUPS) for b in GROUPS[i + 1 :]]
    clouds = pd.DataFrame(
        [
            {"member": f"m{k}", "pair": pair, "strength": end, "value": end}
            for pair in pairs
            for k, end in enumerate(ranges.get(pair, (0.0, 0.0)))
        ]
    )
    members = pd.DataFrame(
        {"member": ["m0", "m1"], "loss": [1.0, 1.01], "loss_increase": [0.0, 0.01],
         "in_set": True, "description": ["seed 0", "seed 1"]}
    )  # fmt: skip
    empty = pd.DataFrame()
    result = ModelSetResult(
        ("m0", "m1"), index, "retrained", GROUPS, members, clouds, empty, empty, empty,
        1.0, 0.05, 3, {"epsilon_rate": 0.05, **settings}, 0.0,
    )  # fmt: skip
    return result.to_json()


def write(tmp_path, text: str, name="set") -> str:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "result.json").write_text(text)
    return str(folder / "result.json")


def verdicts(out) -> pd.Series:
    return pd.read_csv(out / "rashomon.csv").set_index(["model", "pair"])["verdict"]


def test_verdicts_come_from_the_model_sets_range(files, tmp_path, capsys):  # noqa: F811
    data, models = files
    named = [f"ref={models['planted']}", f"ablation={models['additive']}"]
    # The planted pair's range is wide of 0, every other pair's range holds 0: the additive
    # model (no interaction) differs on the planted pair only.
    wide = write(tmp_path, planted_set({PLANTED: (0.1, 50.0)}), "wide")
    out = tmp_path / "out"
    code = run_compare(data, out, named, *OPTIONS, "--model-set", f"ref={wide}")
    assert code == 0, capsys.readouterr().err
    found = verdicts(out)
    assert found["ablation", PLANTED] == OUTSIDE_VERDICT
    assert (found["ablation"].drop(PLANTED) == INSIDE_VERDICT).all()
    assert "range over the retrained set (2 members, ε = 5%)" in capsys.readouterr().out
    # The CSV's range columns hold the planted ends exactly and say what they are.
    rows = pd.read_csv(out / "rashomon.csv").set_index(["model", "pair"])
    assert rows.loc[("ablation", PLANTED), ["range_low", "range_high"]].tolist() == [0.1, 50.0]
    assert set(rows["index"]) == {"fis"}
    assert set(rows["range_source"]) == {"model set: retrained, 2 members"}
    assert not {"fis_min", "fis_max", "reference_fis"} & set(rows.columns)
    assert (out / "rashomon_overlay_ref.html").exists()
    # A set of the additive model whose range is 0 everywhere (a bare path: the first
    # --model's set): the planted model is outside it on the planted pair only.
    flat = write(tmp_path, planted_set({}), "flat")
    named = [f"ablation={models['additive']}", f"ref={models['planted']}"]
    out = tmp_path / "flat-out"
    assert run_compare(data, out, named, *OPTIONS, "--model-set", flat) == 0
    found = verdicts(out)
    assert found["ref", PLANTED] == OUTSIDE_VERDICT
    assert (found["ref"].drop(PLANTED) == INSIDE_VERDICT).all()


@pytest.mark.parametrize(
    ("content", "argument", "message"),
    [
        (None, "ref={missing}", "--model-set: no file"),
        ("not json", "ref={path}", "is not a `workbench rashomon-set` result.json"),
        (planted_set({}, index="h2"), "ref={path}", "index 'h2' but --index is 'fis'"),
        (planted_set({}), "nope={path}", "unknown model name 'nope'"),
        (planted_set({}, dataset_fingerprint="0" * 64), "{path}", "on other rows"),
    ],
)
def test_a_bad_model_set_is_one_line(files, tmp_path, capsys, content, argument, message):  # noqa: F811
    data, models = files
    path = write(tmp_path, content) if content is not None else ""
    argument = argument.format(path=path, missing=tmp_path / "missing.json")
    named = [f"ref={models['planted']}", f"ablation={models['additive']}"]
    code = run_compare(data, tmp_path / "out", named, *OPTIONS, "--model-set", argument)
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err
