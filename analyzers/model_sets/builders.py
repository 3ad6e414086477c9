"""Builders of model sets: models retrained from a factory, or a user's list of fitted models.

Both yield a :class:`~analyzers.model_sets.model_set.ModelSet` through ``assemble_set``, which
scores every member's loss on the explained rows with the kernel. Dropout members of a torch
model are in ``analyzers.model_sets.dropout``, FISC's input masks in ``analyzers.model_sets.masks``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from analyzers.model_sets.member_training import fit_member, member_recipe
from analyzers.model_sets.model_set import ModelSet, ModelSetMember, assemble_set
from workbench.code_digest import module_version
from workbench.errors import ParameterError
from workbench.member_cache import MemberCache
from workbench.models import ModelAdapter, wrap_model
from workbench.progress import ProgressCallback

TRAINING_STAGE = "training members"
#: progress stage of the members read from a member cache (its total is how many were)
CACHED_STAGE = "cached members"


@dataclass(frozen=True, eq=False)
class RetrainedSetBuilder:
    """Members retrained from one scikit-learn estimator: grid × seeds × bootstrap resamples.

    Parameters
    ----------
    estimator : scikit-learn estimator
        The factory; each member is ``sklearn.base.clone(estimator)`` with its grid point and
        seed set (``random_state``, when the estimator has one), fitted on ``train``.
    train : Dataset
        Training rows with a target (keep them apart from the explained rows).
    param_grid : mapping of str to sequence, optional
        ``sklearn.model_selection.ParameterGrid`` input: every combination is trained.
    seeds : sequence of int
        ``random_state`` of each member; a learner without randomness gives equal members,
        which the result's ``collapsed_model_set`` diagnostic reports.
    n_bootstrap : int
        0 trains on every training row; n > 0 trains each (grid point, seed) on n bootstrap
        resamples, resample b drawn from ``numpy.random.default_rng((seed, b))``.
    device : str
        Device of the wrapped members.
    max_batch_rows : int, optional
        Rows per forward pass when scoring the members' losses.
    cache : MemberCache, optional
        Where fitted members are kept (as ``Pipeline(memory=...)``): a member fitted before
        with the same estimator parameters, seed, bootstrap index and training rows is read
        back, not retrained; each new member is stored as soon as it is fitted.

    Examples
    --------
    >>> builder = RetrainedSetBuilder(GradientBoostingClassifier(), train, seeds=range(5))
    >>> model_set = builder.build(test, epsilon_rate=0.1)
    """

    estimator: Any
    train: Any
    param_grid: Mapping[str, Sequence[Any]] | None = None
    seeds: Sequence[int] = (0,)
    n_bootstrap: int = 0
    device: str = "auto"
    max_batch_rows: int | None = None
    cache: MemberCache | None = None
    name: ClassVar[str] = "retrained"

    def build(
        self,
        dataset,
        *,
        epsilon_rate: float | None = 0.1,
        epsilon: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ModelSet:
        """Train every member (or read it from ``cache``), then score their losses on
        ``dataset`` (the explained rows)."""
        plan = self._plan()
        fitted = self._fitted_estimators(plan, progress)
        members = [
            self._member(*entry, estimator) for entry, estimator in zip(plan, fitted, strict=True)
        ]
        settings = {
            "estimator": type(self.estimator).__name__,
            "param_grid": {k: list(v) for k, v in (self.param_grid or {}).items()},
            "seeds": [int(s) for s in self.seeds],
            "n_bootstrap": int(self.n_bootstrap),
            "n_train_rows": int(self.train.n_rows),
        }
        return assemble_set(
            self.name,
            members,
            dataset,
            epsilon_rate=epsilon_rate,
            epsilon=epsilon,
            settings=settings,
            max_batch_rows=self.max_batch_rows,
        )

    def _plan(self) -> list[tuple[dict[str, Any], int, int | None]]:
        from sklearn.model_selection import ParameterGrid

        if not hasattr(self.estimator, "fit") or not hasattr(self.estimator, "get_params"):
            raise ParameterError(
                f"estimator must be a scikit-learn estimator, got {type(self.estimator).__name__}"
            )
        if self.train.y is None:
            raise ParameterError("train: the training rows need a target")
        seeds = [int(s) for s in self.seeds]
        if not seeds:
            raise ParameterError("seeds must name at least one seed")
        if isinstance(self.n_bootstrap, bool) or int(self.n_bootstrap) < 0:
            raise ParameterError(f"n_bootstrap must be >= 0, got {self.n_bootstrap!r}")
        try:
            grid = list(ParameterGrid(dict(self.param_grid or {})))
        except (TypeError, ValueError) as error:
            raise ParameterError(f"param_grid: {error}") from None
        bootstraps = list(range(self.n_bootstrap)) if self.n_bootstrap else [None]
        return list(itertools.product(grid, seeds, bootstraps))

    def _fitted_estimators(self, plan, progress: ProgressCallback | None) -> list[Any]:
        """One fitted estimator per plan entry: the cached ones first (stage CACHED_STAGE),
        then the rest trained (TRAINING_STAGE), each stored as soon as it is fitted, so an
        interrupted build keeps what it finished. The two stages' totals are the counts."""
        fitted: list[Any] = [None] * len(plan)
        keys: list[str | None] = [None] * len(plan)
        if self.cache is not None:
            version = module_version("analyzers.model_sets.member_training")
            data = self.train.fingerprint()
            for i, (params, seed, bootstrap) in enumerate(plan):
                recipe = member_recipe(self.estimator, params, seed, bootstrap)
                keys[i] = self.cache.key(recipe, data, version)
                fitted[i] = self.cache.load(keys[i])
            n_cached = sum(estimator is not None for estimator in fitted)
            if n_cached and progress is not None:
                progress(CACHED_STAGE, n_cached, n_cached)
        missing = [i for i, estimator in enumerate(fitted) if estimator is None]
        for done, i in enumerate(missing):
            if progress is not None:
                progress(TRAINING_STAGE, done, len(missing))
            fitted[i] = fit_member(self.estimator, *plan[i], self.train)
            if self.cache is not None:
                self.cache.save(keys[i], fitted[i])
        if progress is not None:
            progress(TRAINING_STAGE, len(missing), len(missing))
        return fitted

    def _member(
        self, params: dict[str, Any], seed: int, bootstrap: int | None, estimator
    ) -> ModelSetMember:
        from sklearn.base import is_classifier

        description = {**params, "seed": seed}
        if bootstrap is not None:
            description["bootstrap"] = bootstrap
        task = "classification" if is_classifier(estimator) else "regression"
        adapter = wrap_model(estimator, task=task, device=self.device)
        return ModelSetMember(_member_name(description), adapter, estimator, description)


@dataclass(frozen=True, eq=False)
class FittedSetBuilder:
    """A user's fitted models as a set (e.g. an AutoML leaderboard).

    Parameters
    ----------
    models : sequence
        Fitted scikit-learn estimators, torch modules, callables or ``ModelAdapter`` objects;
        anything ``wrap_model`` takes.
    names : sequence of str, optional
        One per model (default ``model 0``, ``model 1``...).
    reference : int or None
        Position of the model whose loss is L*; None: the best model's.
    task : str
        Passed to ``wrap_model`` for models that are not adapters yet.

    Examples
    --------
    >>> model_set = FittedSetBuilder([gbt, forest, mlp]).build(test, epsilon_rate=0.05)
    """

    models: Sequence[Any]
    names: Sequence[str] | None = None
    reference: int | None = None
    task: str = "auto"
    device: str = "auto"
    max_batch_rows: int | None = None
    name: ClassVar[str] = "fitted"

    def build(
        self,
        dataset,
        *,
        epsilon_rate: float | None = 0.1,
        epsilon: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ModelSet:
        """Wrap the models and score their losses on ``dataset`` (the explained rows)."""
        models = list(self.models)
        names = [f"model {i}" for i in range(len(models))] if self.names is None else self.names
        if len(names) != len(models):
            raise ParameterError(f"names: expected {len(models)} names, got {len(names)}")
        members = []
        for done, (model, name) in enumerate(zip(models, names, strict=True)):
            if progress is not None:
                progress("wrapping members", done, len(models))
            members.append(self._member(model, str(name), dataset))
        return assemble_set(
            self.name,
            members,
            dataset,
            epsilon_rate=epsilon_rate,
            epsilon=epsilon,
            reference=self.reference,
            settings={"n_models": len(models), "reference": self.reference},
            max_batch_rows=self.max_batch_rows,
        )

    def _member(self, model: Any, name: str, dataset) -> ModelSetMember:
        if isinstance(model, ModelAdapter):
            return ModelSetMember(name, model, None, {"model": name})
        y = None if dataset.y is None else dataset.y.numpy()
        adapter = wrap_model(model, task=self.task, y=y, device=self.device)
        return ModelSetMember(name, adapter, model, {"model": type(model).__name__})


def _member_name(description: dict[str, Any]) -> str:
    return ",".join(f"{key}={value}" for key, value in description.items())
