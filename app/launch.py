"""``app.open``: the web app from a notebook or script, over models held in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workbench.errors import ParameterError


def open_app(
    models: Mapping[str, Any] | Any,
    data: Any,
    *,
    target: str | None = None,
    data_name: str = "data",
    workspace: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    task: str = "auto",
):
    """Serve the workbench over ``models`` explained on ``data``, in a background thread.

    Parameters
    ----------
    models : mapping of name to model, or one model
        Torch modules, scikit-learn estimators, callables or ModelAdapters (see ``wrap_model``).
        They stay in this process; nothing is written that would need pickle to read back.
    data : Dataset or pandas.DataFrame
        The rows the models are explained on (a DataFrame needs ``target``).
    target : str, optional
        Target column when ``data`` is a DataFrame.
    data_name : str
        Name of the data set in the app.
    workspace : path, optional
        Workspace folder, where results are cached (default: a new temporary folder).
    host, port : str, int
        Address; port 0 picks a free one.
    task : {"auto", "classification", "regression"}

    Returns
    -------
    app.web.server.RunningServer
        ``.url`` to open; ``.stop()`` ends the server.

    Example
    -------
    >>> server = app.open({"mlp": mlp}, frame, target="y")  # doctest: +SKIP
    >>> server.url
    'http://127.0.0.1:43817/'
    """
    import pandas as pd

    from app.web import create_app
    from app.web.server import serve_in_thread
    from workbench.data import Dataset
    from workbench.workspace import Workspace

    if isinstance(data, pd.DataFrame):
        if target is None:
            raise ParameterError("target: a DataFrame needs the name of its target column")
        data = Dataset.from_frame(data, target=target)
    elif not isinstance(data, Dataset):
        raise ParameterError(f"data: expected a Dataset or a DataFrame, got {type(data).__name__}")
    if not isinstance(models, Mapping):
        models = {"model": models}
    if not models:
        raise ParameterError("models: give at least one model")
    root = Path(workspace) if workspace else Path(tempfile.mkdtemp(prefix="workbench-"))
    space = Workspace.create(root)
    space.add_dataset(data_name, data)
    for name, model in models.items():
        space.add_model_object(str(name), model, data_name, task=task)
    return serve_in_thread(create_app(space), host=host, port=port)
