"""What every embedding figure shares: the note that says whether its measures survive a
re-parametrisation of the embeddings (with the reading text), and the trace colours."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.colors import qualitative

from analyzers.figures.reading import with_reading

#: what each invariance class means, said once per class present in a figure
_CLASS_MEANING = {
    "invariant": "does not depend on how the embeddings are parametrised",
    "orthogonal-only": "survives rotations and scaling of the embeddings, not other maps",
    "descriptive": "changes under re-parametrisations that keep the model's function",
}


def trace_colour(index: int) -> str:
    """The ``index``-th of plotly's qualitative colours (cycled): one per trace."""
    return qualitative.Plotly[index % len(qualitative.Plotly)]


def with_invariance_note(
    fig: go.Figure, invariance: dict[str, str], measures: Sequence[str], reading: str
) -> go.Figure:
    """Say in the subtitle whether the plot's measures survive a re-parametrisation of the
    embeddings that leaves the model's function unchanged (ctr-models.md §2.8), and attach the
    reading text, which ends with the same in words."""
    classes = {m: invariance[m].split(":")[0] for m in measures if m in invariance}
    meaning = "; ".join(
        f"{c}: {_CLASS_MEANING[c]}" for c in dict.fromkeys(classes.values()) if c in _CLASS_MEANING
    )
    if meaning:
        reading += f" Invariance ({', '.join(classes)}): {meaning}."
    with_reading(fig, reading)
    if classes:
        named = "; ".join(f"{m}: {c}" for m, c in classes.items())
        meanings = "; ".join(
            f"{c}: {_CLASS_MEANING[c]}"
            for c in dict.fromkeys(classes.values())
            if c in _CLASS_MEANING
        )
        fig.update_layout(
            title={
                "subtitle": {
                    "text": f"{named} ({meanings})" if meanings else named,
                    "font": {"size": 11, "color": "grey"},
                }
            },
            margin={"t": 90},
        )
    return fig
