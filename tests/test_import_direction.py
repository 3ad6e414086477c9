"""Imports run one way: app → analyzers → workbench (``../shared/docs/design.md``).

An import scan of every module, imports inside functions included (and ``importlib`` calls with a
literal name), so a lazy import cannot hide an upward dependency. No list of exceptions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"workbench": 0, "analyzers": 1, "app": 2}


def _imported_modules(path: Path, package: str):
    """(line, dotted module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield node.lineno, ".".join([*base, node.module or ""]).rstrip(".")
            else:
                yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and _called_name(node.func) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _upward_imports() -> list[str]:
    found = []
    for layer, rank in LAYERS.items():
        for path in sorted((ROOT / layer).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
            for line, imported in _imported_modules(path, package):
                top = imported.split(".")[0]
                if LAYERS.get(top, -1) > rank:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


def test_no_import_runs_upward():
    upward = _upward_imports()
    assert not upward, f"{len(upward)} upward imports:\n" + "\n".join(upward)


@pytest.mark.parametrize("source", ["from analyzers import x", "import app.web"])
def test_the_scan_sees_an_upward_import_inside_a_function(tmp_path, source):
    module = tmp_path / "module.py"
    module.write_text(f"def f():\n    {source}\n")
    imported = [name for _, name in _imported_modules(module, "workbench")]
    assert imported and LAYERS[imported[0].split(".")[0]] > LAYERS["workbench"]


def test_the_scan_resolves_relative_and_importlib_imports(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from ..app import web\nimport importlib\nimportlib.import_module('analyzers.gates')\n"
    )
    imported = [name for _, name in _imported_modules(module, "workbench.kernels")]
    assert imported == ["workbench.app", "importlib", "analyzers.gates"]
