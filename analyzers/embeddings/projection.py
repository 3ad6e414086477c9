"""2-D/3-D maps of embedding rows: PCA (scikit-learn) and UMAP (umap-learn), seeded and cached.

Projections are overviews: PCA axes follow the parametrisation and UMAP distances are not
metric-faithful, so neither is a measure. A projection is a pure function of its points and
settings; results are kept in a small in-process cache keyed by a hash of both (the app's store
persists them through ``to_dict``). UMAP compiles its numba code on the first call (about 30 s
on two cores), which is why callers run it as a job and why the cache matters.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from analyzers.embeddings._inputs import as_matrix
from analyzers.embeddings.invariance import invariance_of
from analyzers.result import Diagnostic, Result
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback

METHODS = ("pca", "umap")
AXES = ("x", "y", "z")
_CACHE_SIZE = 32
_cache: OrderedDict[str, Projection] = OrderedDict()


@dataclass(frozen=True, eq=False)
class Projection(Result):
    """Coordinates of (a sample of) embedding rows in 2 or 3 dimensions.

    Attributes
    ----------
    key : str
        sha256 of the points and settings: equal keys, equal coordinates.
    method : "pca" or "umap"
    settings : dict
        n_components, random_state, max_points, n_input_points, and the method's parameters;
        for PCA also the explained variance ratio of each axis.
    coordinates : DataFrame
        One row per projected point: point (row index in the input), x, y[, z], then the
        label columns passed in (field, level, frequency, norm, gate value ...).
    measure_invariance : dict
    model_names : tuple of str
        Empty: the points are given, not a model.
    seconds : float
        Of the fit that made it (a cached projection keeps the first fit's time).
    diagnostics : tuple of Diagnostic
    """

    kind: ClassVar[str] = "projection"

    key: str
    method: str
    settings: dict[str, Any]
    coordinates: pd.DataFrame
    measure_invariance: dict[str, str] = field(default_factory=lambda: invariance_of("projection"))
    model_names: tuple[str, ...] = ()
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per projected point: its coordinates and labels."""
        return self.coordinates

    @property
    def axes(self) -> tuple[str, ...]:
        return AXES[: self.settings["n_components"]]


@renamed_parameters(seed="random_state")
def project(
    points: object,
    *,
    method: str = "pca",
    n_components: int = 2,
    labels: pd.DataFrame | None = None,
    weights: object | None = None,
    max_points: int = 5000,
    random_state: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
) -> Projection:
    """Project embedding rows to 2-D or 3-D, reproducibly for a ``random_state``.

    Parameters
    ----------
    points : (rows, dim) array
        Embedding rows (of a table, or the field embeddings of data rows).
    method : "pca" or "umap"
    n_components : 2 or 3
    labels : DataFrame, optional
        One row per point; its columns are carried into ``coordinates`` for colour and hover.
    weights : (rows,) array, optional
        Sampling weights when there are more than ``max_points`` rows (e.g. frequencies, so the
        sample looks like the data). Uniform when None.
    max_points : int
        Rows projected at most; a seeded sample above that.
    random_state : int
        Seed of the sample and of UMAP (formerly ``seed``).
    n_neighbors, min_dist
        UMAP parameters (n_neighbors is capped at rows − 1).
    use_cache : bool
        Return a cached projection of equal points and settings when there is one.
    progress : callable(stage, done, total), optional
        Called before and after the fit, e.g. to drive a progress bar.

    Returns
    -------
    Projection

    Example
    -------
    >>> projection = project(torch.randn(300, 8), method="pca", random_state=0)
    >>> list(projection.coordinates.columns)
    ['point', 'x', 'y']
    """
    started = time.perf_counter()
    matrix = as_matrix(points, "points", min_rows=3).numpy().astype(np.float32)
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}")
    if n_components not in (2, 3):
        raise ParameterError(f"n_components must be 2 or 3, got {n_components!r}")
    if int(max_points) < 3:
        raise ParameterError(f"max_points must be >= 3, got {max_points!r}")
    if labels is not None and len(labels) != matrix.shape[0]:
        raise ParameterError(f"labels has {len(labels)} rows but points has {matrix.shape[0]}")
    settings: dict[str, Any] = {
        "n_components": int(n_components),
        "random_state": int(random_state),
        "max_points": int(max_points),
        "n_input_points": int(matrix.shape[0]),
    }
    if method == "umap":
        settings.update(n_neighbors=int(n_neighbors), min_dist=float(min_dist))
    chosen = _sample(matrix.shape[0], weights, int(max_points), int(random_state))
    sample = np.ascontiguousarray(matrix[chosen])
    key = _key(sample, chosen, method, settings, labels)
    if use_cache and key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    report = progress or (lambda stage, done, total: None)
    if method == "pca":
        report(method, 0, 1)
        coordinates, extra = _pca(sample, int(n_components), int(random_state))
        report(method, 1, 1)
    else:
        coordinates, extra = _umap(sample, settings, report)
    settings.update(extra)
    frame = pd.DataFrame({"point": chosen.astype(np.int64)})
    for axis, column in zip(AXES, coordinates.T, strict=False):
        frame[axis] = column.astype(np.float64)
    if labels is not None:
        carried = labels.iloc[chosen].reset_index(drop=True)
        frame = pd.concat([frame, carried.drop(columns=[c for c in carried if c in frame])], axis=1)
    projection = Projection(
        key=key,
        method=method,
        settings=settings,
        coordinates=frame,
        seconds=time.perf_counter() - started,
    )
    if use_cache:
        _cache[key] = projection
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return projection


def clear_projection_cache() -> None:
    """Forget every cached projection."""
    _cache.clear()


def _sample(rows: int, weights: object | None, max_points: int, random_state: int) -> np.ndarray:
    if rows <= max_points:
        return np.arange(rows)
    probabilities = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (rows,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ParameterError(f"weights must be {rows} finite values >= 0, not all 0")
        if (w > 0).sum() < max_points:
            raise ParameterError(
                f"only {(w > 0).sum()} points have weight > 0; lower max_points to at most that"
            )
        probabilities = w / w.sum()
    generator = np.random.default_rng(random_state)
    chosen = generator.choice(rows, max_points, replace=False, p=probabilities)
    return np.sort(chosen)


def _key(
    sample: np.ndarray, chosen: np.ndarray, method: str, settings: dict, labels: pd.DataFrame | None
) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps({"method": method, **settings}, sort_keys=True).encode())
    digest.update(sample.tobytes())
    digest.update(chosen.astype(np.int64).tobytes())
    if labels is not None:
        digest.update(pd.util.hash_pandas_object(labels, index=False).to_numpy().tobytes())
        digest.update(json.dumps([str(c) for c in labels.columns]).encode())
    return digest.hexdigest()


def _pca(sample: np.ndarray, n_components: int, random_state: int) -> tuple[np.ndarray, dict]:
    from sklearn.decomposition import PCA

    n_components_fit = min(n_components, *sample.shape)
    pca = PCA(n_components=n_components_fit, svd_solver="full", random_state=random_state)
    coordinates = pca.fit_transform(sample)  # (points, n_components_fit)
    if n_components_fit < n_components:
        # A table narrower than the map: the missing axes carry no variance.
        padding = np.zeros((sample.shape[0], n_components - n_components_fit))
        coordinates = np.concatenate([coordinates, padding], axis=1)
    return coordinates, {"explained_variance_ratio": pca.explained_variance_ratio_.tolist()}


#: what a UMAP projection tells its progress callback, in order: a fit of minutes shows
#: where it is (the import compiles numba code on a first run; the fit is most of the rest)
UMAP_STAGES = ("loading UMAP", "fitting UMAP", "projecting")


def _umap(sample: np.ndarray, settings: dict, report: ProgressCallback) -> tuple[np.ndarray, dict]:
    import warnings

    total = len(UMAP_STAGES)
    report(UMAP_STAGES[0], 0, total)
    from umap import UMAP

    neighbors = min(settings["n_neighbors"], sample.shape[0] - 1)
    reducer = UMAP(
        n_components=settings["n_components"],
        n_neighbors=neighbors,
        min_dist=settings["min_dist"],
        random_state=settings["random_state"],  # also single-threaded UMAP: reproducible
    )
    with warnings.catch_warnings():
        # "n_jobs overridden to 1 by setting random_state": the reproducibility we asked for.
        warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
        report(UMAP_STAGES[1], 1, total)
        reducer.fit(sample)
    report(UMAP_STAGES[2], 2, total)
    # fit_transform's answer: the fitted embedding of the points it was fitted on
    coordinates = np.asarray(reducer.embedding_)
    report(UMAP_STAGES[2], 3, total)
    return coordinates, {"n_neighbors_used": int(neighbors)}
