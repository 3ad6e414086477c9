"""Code versions of cache keys: a result goes stale when the code computing it changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.code_digest import code_version, module_version, source_files
from workbench.errors import ParameterError
from workbench.store import ResultKey

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of workbench/ and analyzers/ that a test may edit."""
    for package in ("workbench", "analyzers"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def append_comment(path: Path) -> None:
    path.write_text(path.read_text() + "\n# edited\n")


def test_a_figure_change_keeps_the_rashomon_version(tree):
    before = code_version("analyzers.rashomon", root=tree)
    append_comment(tree / "analyzers" / "figures" / "halo.py")
    assert code_version("analyzers.rashomon", root=tree) == before
    # The whole-tree version (ResultKey's default) does change.
    assert code_version(root=tree) != code_version(root=ROOT)


def test_a_kernel_change_invalidates_the_rashomon_version(tree):
    before = code_version("analyzers.rashomon", root=tree)
    append_comment(tree / "workbench" / "kernels" / "subset_losses.py")
    assert code_version("analyzers.rashomon", root=tree) != before


def test_the_copy_and_the_installed_tree_have_the_same_version(tree):
    assert code_version("analyzers.rashomon", root=tree) == code_version("analyzers.rashomon")


def test_the_rashomon_code_is_its_modules_and_the_core_not_figures():
    files = {path.as_posix() for path in source_files("analyzers.rashomon")}
    assert {
        "analyzers/rashomon.py",
        "analyzers/fis.py",
        "workbench/kernels/subset_losses.py",
    } <= files
    assert not any(name.startswith(("analyzers/figures/", "app/")) for name in files)


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_imports_inside_functions_and_relative_imports_are_followed(tmp_path):
    write_package(
        tmp_path,
        {
            "analyzers/__init__.py": "",
            "analyzers/entry.py": "def run():\n    from .helper import help\n    return help()\n",
            "analyzers/helper.py": "def help():\n    return 1\n",
            "analyzers/figures/__init__.py": "",
            "analyzers/figures/plot.py": "from analyzers.entry import run\n",
        },
    )
    before = code_version("analyzers.entry", root=tmp_path)
    append_comment(tmp_path / "analyzers" / "figures" / "plot.py")
    assert code_version("analyzers.entry", root=tmp_path) == before
    append_comment(tmp_path / "analyzers" / "helper.py")
    assert code_version("analyzers.entry", root=tmp_path) != before


def test_an_unknown_entry_module_is_an_error_naming_it():
    with pytest.raises(ParameterError, match=r"analyzers\.rashomn"):
        code_version("analyzers.rashomn")


def test_keys_of_different_code_versions_name_different_files():
    versions = {code_version("analyzers.rashomon"), code_version("analyzers.gates")}
    keys = {ResultKey("rashomon", "m", "d", {}, code_version=v).digest for v in versions}
    assert len(versions) == len(keys) == 2


def test_a_module_version_follows_its_own_file_only(tmp_path):
    write_package(
        tmp_path,
        {
            "analyzers/__init__.py": "from analyzers import training, scoring\n",
            "analyzers/training.py": "import numpy\n",
            "analyzers/scoring.py": "X = 1\n",
        },
    )
    training = module_version("analyzers.training", root=tmp_path)
    closure = code_version("analyzers.training", root=tmp_path)
    append_comment(tmp_path / "analyzers" / "scoring.py")
    assert module_version("analyzers.training", root=tmp_path) == training
    assert code_version("analyzers.training", root=tmp_path) != closure  # via __init__
    append_comment(tmp_path / "analyzers" / "training.py")
    assert module_version("analyzers.training", root=tmp_path) != training
    with pytest.raises(ParameterError, match=r"analyzers\.missing"):
        module_version("analyzers.missing", root=tmp_path)
