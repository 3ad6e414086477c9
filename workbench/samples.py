"""Built-in sample models and data, so every command runs without a model of the user's.

A sample model is trained reproducibly (fixed split and seed) on whatever data set it is given,
and explained on the held-out rows, the setup of the FISC peer baseline on COMPAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.errors import DataError, ParameterError
from workbench.models.task import task_from_labels

SAMPLE_DATA_DIR = Path(__file__).resolve().parents[1] / "sample_data"

SAMPLE_MODELS = {
    "mlp": "scikit-learn MLPClassifier(64, 64), max_iter=300, seed 0 (MLPRegressor for a "
    "numeric target), trained on an 80/20 split (seed 0); explains the 20% test rows",
    "logistic": "scikit-learn LogisticRegression(max_iter=1000) (Ridge for a numeric target), "
    "same split",
    "gbt": "scikit-learn GradientBoostingClassifier(100 trees of depth 3), seed 0 "
    "(GradientBoostingRegressor for a numeric target), same split; runs on the CPU",
}


@dataclass(frozen=True)
class SampleModel:
    """A trained sample model with the data it was trained and is explained on."""

    name: str
    adapter: object
    estimator: object
    train: object
    test: object
    test_loss: float


def sample_data_path(name: str) -> Path:
    """Path of a file shipped in ``sample_data/`` (a one-line error if it is missing)."""
    path = SAMPLE_DATA_DIR / name
    if not path.exists():
        raise ParameterError(f"sample data file {name!r} not found in {SAMPLE_DATA_DIR}")
    return path


def infer_task(dataset) -> str:
    """ "classification" for an encoded or 0/1-like integer target, "regression" otherwise."""
    if dataset.target_classes is not None:
        return "classification"
    return task_from_labels(dataset.y)


def check_class_codes(dataset) -> None:
    """A one-line DataError, before any training, unless the target holds class codes 0..K-1
    with K >= 2: a one-class target cannot train a classifier, and a target coded 1..K trains
    one whose K classes the loss then reads as 0..K-1 (the error used to come after training,
    or as a scikit-learn traceback)."""
    import numpy as np

    values = np.unique(dataset.y.numpy())
    name = dataset.target_name or "y"
    shown = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if len(values) > 6 else "")
    if len(values) < 2:
        raise DataError(f"target {name!r} has one class ({shown}); a classifier needs two or more")
    if not np.array_equal(values, np.arange(len(values))):
        raise DataError(
            f"target {name!r} is coded {shown}; a classifier needs class codes "
            f"0..{len(values) - 1} (recode the column, e.g. y - 1)"
        )


def train_sample_model(
    name: str,
    dataset,
    *,
    task: str = "auto",
    device: str = "auto",
    test_size: float = 0.2,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> SampleModel:
    """Train a built-in sample model on ``dataset`` and wrap it for analysis.

    Parameters
    ----------
    name : str
        One of ``SAMPLE_MODELS``.
    dataset : Dataset
        Data with a target.
    task : {"auto", "classification", "regression"}
    device : str
        Device of the wrapped model ("auto": CUDA when present).
    test_size, seed : float, int
        The split (scikit-learn's ``train_test_split`` with ``random_state=seed``).
    cache_dir : str or Path, optional
        Where trained models are cached (``workbench.sample_cache``: no pickle); a model cached
        for this data, split and code is read instead of trained. None: always train.

    Returns
    -------
    SampleModel
    """
    from workbench.models import wrap_model

    if name not in SAMPLE_MODELS:
        raise ParameterError(
            f"model: unknown sample model {name!r}; built-in: {', '.join(SAMPLE_MODELS)}"
        )
    if dataset.y is None:
        raise ParameterError("a sample model needs a data set with a target (pass --target)")
    task = infer_task(dataset) if task == "auto" else task
    classification = task == "classification"
    if classification:
        check_class_codes(dataset)
    train, test = dataset.train_test_split(test_size=test_size, seed=seed)
    if cache_dir is None:
        estimator = _fit(name, train, classification, seed)
    else:
        estimator = _cached_fit(name, train, classification, seed, Path(cache_dir), test_size)
    adapter = wrap_model(estimator, task=task, device=device)
    outputs = adapter.predict(test.X)
    test_loss = float(adapter.loss.per_row(outputs, test.y.to(outputs.device)).mean())
    return SampleModel(name, adapter, estimator, train, test, test_loss)


def _fit(name: str, train, classification: bool, seed: int):
    """The sample model ``name`` fitted on ``train``."""
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if name == "mlp":
        cls = MLPClassifier if classification else MLPRegressor
        estimator = cls(hidden_layer_sizes=(64, 64), max_iter=300, random_state=seed)
    elif name == "gbt":
        cls = GradientBoostingClassifier if classification else GradientBoostingRegressor
        estimator = cls(n_estimators=100, max_depth=3, random_state=seed)
    else:
        estimator = LogisticRegression(max_iter=1000) if classification else Ridge()
    y_train = train.y.numpy()
    estimator.fit(train.X.numpy(), y_train.astype(int) if classification else y_train)
    return estimator


def _cached_fit(name: str, train, classification: bool, seed: int, folder: Path, test_size: float):
    """The cached estimator, else a fitted one, saved and read back.

    The first start uses the read-back copy too, so both starts wrap the same estimator and
    its fingerprint (the results store's key) is the same.
    """
    from workbench import sample_cache

    task = "classification" if classification else "regression"
    key = sample_cache.cache_key(name, train, task, test_size, seed)
    estimator = sample_cache.load_estimator(folder, key)
    if estimator is not None:
        return estimator
    sample_cache.save_estimator(folder, key, _fit(name, train, classification, seed))
    return sample_cache.load_estimator(folder, key)
