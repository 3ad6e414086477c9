"""Write a folder of outputs all at once: nothing appears unless every file was written.

The CLI's reports build their files in a hidden staging folder beside the target and move them
into place only at the end, so an error, Ctrl-C or SIGTERM leaves the target as it was (no
partial report next to an older complete one) and removes the staging folder. SIGTERM would end
the process without running ``finally``; the CLI (``app.cli.command.main``) turns it into an
exception so that the cleanup here runs.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StagedFolder:
    """The staging folder to write into, and (after the block) the files moved into place."""

    path: Path
    written: list[Path] = field(default_factory=list)


@contextmanager
def staged_folder(folder: str | Path) -> Iterator[StagedFolder]:
    """Write into ``stage.path``; on success the files move into ``folder`` (created if missing,
    same-named files replaced) and ``stage.written`` lists them; on any error nothing moves.

    Example
    -------
    >>> with staged_folder("results/run") as stage:  # doctest: +SKIP
    ...     frame.to_csv(stage.path / "table.csv")
    >>> stage.written
    [PosixPath('results/run/table.csv')]
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = StagedFolder(Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent)))
    try:
        yield stage
        folder.mkdir(exist_ok=True)
        for path in sorted(stage.path.iterdir()):
            target = folder / path.name
            path.replace(target)
            stage.written.append(target)
    finally:
        shutil.rmtree(stage.path, ignore_errors=True)
