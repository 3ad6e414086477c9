"""A progress bar on stderr per analysis stage, fed by an analyzer's progress callback."""

from __future__ import annotations

import sys


class ProgressBar:
    """A tqdm bar per analysis stage, fed by the analyzer's progress callback."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=f"{stage:>12s}", unit="", leave=True, file=sys.stderr)
            self.stage = stage
        self.bar.total = total
        self.bar.update(done - self.bar.n)  # honours tqdm's refresh interval
