"""Reading a manifest entry: a data entry's ``Dataset``, a model file's tree booster, and a
loaded model's metrics on the rows it is explained on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.errors import DataError, ParameterError, WorkbenchError
from workbench.manifest_entries import DataEntry


def tree_model(path: str | None):
    """The Booster of an xgboost/lightgbm file (index "tree" reads its trees), else None."""
    from workbench.models.boosters import is_native_file, read_native_model

    return read_native_model(path) if path and is_native_file(path) else None


def read_dataset(entry: DataEntry):
    import pandas as pd

    from workbench.data import Dataset
    from workbench.zoo.ctr_data import adult_fields, fields_from_frame

    path = Path(entry.path)
    if not path.is_file():
        raise DataError(f"data set {entry.name!r}: file {path} not found")
    if entry.coding == "adult":
        return adult_fields(path)
    if entry.coding == "fields":
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        columns = [*entry.features, entry.target] if entry.features else list(frame.columns)
        return fields_from_frame(frame[columns], entry.target)
    if entry.coding != "table":
        raise ParameterError(
            f"data set {entry.name!r}: coding must be 'table', 'fields' or 'adult', "
            f"got {entry.coding!r}"
        )
    read = Dataset.from_parquet if path.suffix == ".parquet" else Dataset.from_csv
    return read(path, target=entry.target, features=entry.features, groups=entry.groups)


def model_metrics(adapter, rows) -> dict[str, float]:
    """Loss, and accuracy/AUC for binary classifiers, on the rows the model is explained on."""
    from sklearn.metrics import roc_auc_score

    if rows.y is None:
        return {}
    try:
        outputs = adapter.predict(rows.X)
    except WorkbenchError:
        return {}
    y = rows.y.to(outputs.device)
    metrics = {"loss": float(adapter.loss.per_row(outputs, y).mean()), "rows": rows.n_rows}
    if adapter.task == "classification" and adapter.n_classes == 2:
        score = outputs.reshape(-1).double().cpu().numpy()
        threshold = 0.5 if adapter.output_kind == "probability" else 0.0
        truth = rows.y.numpy()
        metrics["accuracy"] = float(np.mean((score > threshold) == (truth > 0.5)))
        if len(np.unique(truth)) == 2:
            metrics["auc"] = float(roc_auc_score(truth, score))
    return metrics
