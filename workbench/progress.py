"""The one progress-callback type: analyses report ``(stage, done, total)`` as they go."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(stage, done, total)``: ``stage`` names the step in words a user reads (the app's
#: progress bar and the CLI's show it); ``done`` of ``total`` units of that step are finished.
ProgressCallback = Callable[[str, int, int], None]
