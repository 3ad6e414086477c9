"""The small forest on y = [x0·x1 > 0] that the local-view tests (layout and browser) share."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from workbench import Dataset
from workbench.workspace import Workspace


def xor_forest_workspace(root) -> Workspace:
    """Data set "d" (40 rows, 3 normal features) and model "forest": its SII values differ
    from row to row, which is what a local view has to show."""
    generator = np.random.default_rng(1)
    X = generator.normal(size=(40, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    space = Workspace.create(root)
    space.add_dataset("d", Dataset.from_arrays(X, y))
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    space.add_model_object("forest", forest, "d")
    return space
