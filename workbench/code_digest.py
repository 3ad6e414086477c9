"""Code versions for cache keys: a digest of the source a computation actually runs.

A cached result goes stale when the code that computed it changes, and only then. So the
version of an analysis is the digest of its entry module and of every module of ``workbench/``
and ``analyzers/`` it imports, directly or through others (imports inside functions included,
and the ``__init__`` of each package on the way, which Python runs too). A change to a figure,
a page or the CLI leaves the results of an analysis that never imports them cached.

The scan reads the files (``ast``), it imports nothing, so it may name modules of any layer.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from workbench.errors import ParameterError

SOURCE_PACKAGES = ("workbench", "analyzers")
_INSTALLED_ROOT = Path(__file__).resolve().parents[1]
_VERSION_CHARS = 16


def code_version(*entry_modules: str, root: str | Path | None = None) -> str:
    """Digest of the code behind a computation; it changes exactly when that code changes.

    Parameters
    ----------
    *entry_modules : str
        Dotted names of the modules whose functions compute the result, e.g.
        ``"analyzers.rashomon"``. None given: every ``.py`` file of ``workbench/`` and
        ``analyzers/`` (a version that any code change invalidates).
    root : str, Path or None
        Folder holding ``workbench/`` and ``analyzers/``; None: the installed tree (whose
        versions are computed once per process).

    Returns
    -------
    str
        16 hex characters.

    Examples
    --------
    >>> code_version("analyzers.rashomon") == code_version("analyzers.rashomon")
    True
    """
    if root is None:
        return _installed_version(tuple(entry_modules))
    return _version(tuple(entry_modules), Path(root))


def module_version(module: str, root: str | Path | None = None) -> str:
    """Digest of one module's own source, without what it imports.

    For a computation that lives in one module and calls only libraries (whose versions the
    caller keys separately), e.g. how a model-set member is trained: a change anywhere else
    leaves its cached products valid, where :func:`code_version` would follow the package's
    ``__init__`` into every sibling module.

    Examples
    --------
    >>> len(module_version("workbench.code_digest"))
    16
    """
    folder = _INSTALLED_ROOT if root is None else Path(root)
    path = _module_file(module, folder)
    if module.split(".")[0] not in SOURCE_PACKAGES or path is None:
        raise ParameterError(f"module {module!r} is not a module of workbench or analyzers")
    digest = hashlib.sha256(path.relative_to(folder).as_posix().encode())
    digest.update(path.read_bytes())
    return digest.hexdigest()[:_VERSION_CHARS]


def source_files(*entry_modules: str, root: str | Path | None = None) -> list[Path]:
    """The files :func:`code_version` hashes for ``entry_modules``, relative to ``root``.

    Examples
    --------
    >>> "analyzers/figures/halo.py" in map(str, source_files("analyzers.rashomon"))
    False
    """
    folder = _INSTALLED_ROOT if root is None else Path(root)
    return [path.relative_to(folder) for path in _source_paths(tuple(entry_modules), folder)]


@cache
def _installed_version(entry_modules: tuple[str, ...]) -> str:
    return _version(entry_modules, _INSTALLED_ROOT)


def _version(entry_modules: tuple[str, ...], root: Path) -> str:
    digest = hashlib.sha256()
    for path in _source_paths(entry_modules, root):
        digest.update(str(path.relative_to(root).as_posix()).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:_VERSION_CHARS]


def _source_paths(entry_modules: tuple[str, ...], root: Path) -> list[Path]:
    if not entry_modules:
        return [p for package in SOURCE_PACKAGES for p in sorted((root / package).rglob("*.py"))]
    for name in entry_modules:
        if name.split(".")[0] not in SOURCE_PACKAGES or _module_file(name, root) is None:
            raise ParameterError(
                f"entry module {name!r} is not a module of {' or '.join(SOURCE_PACKAGES)} "
                f"under {root}"
            )
    return sorted(_import_closure(entry_modules, root))


def _import_closure(entry_modules: tuple[str, ...], root: Path) -> set[Path]:
    """Files of the entry modules and of every source module they import, transitively."""
    seen: set[Path] = set()
    pending = [name for entry in entry_modules for name in _with_parents(entry)]
    while pending:
        path = _module_file(pending.pop(), root)
        if path is None or path in seen:
            continue
        seen.add(path)
        package = _package_of(path, root)
        for imported in _imported_names(path, package):
            if imported.split(".")[0] in SOURCE_PACKAGES:
                pending.extend(_with_parents(imported))
    return seen


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs its packages first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _module_file(name: str, root: Path) -> Path | None:
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _package_of(path: Path, root: Path) -> str:
    """Dotted package a file's relative imports start from."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1])


def _imported_names(path: Path, package: str) -> Iterator[str]:
    """Every module a file may import: ``import x``, ``from x import y`` (x, and x.y in case
    y is a submodule), relative imports resolved, ``import_module("x")`` with a literal."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names if alias.name != "*")
        elif _is_literal_import_module(node):
            yield node.args[0].value


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, node.module or ""]).strip(".")


def _is_literal_import_module(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and node.args):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    first = node.args[0]
    return (
        name in {"import_module", "__import__"}
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
    )
