"""The command line as a client of the results store: a second identical run reads, not computes.

Every analysis command looks its result up in a :class:`workbench.store.ResultStore` before
computing it and stores it after, keyed like the web app's results (``app.analyses``): analyzer,
model fingerprint, data fingerprint, parameters and code version. The store is a folder:
``--cache DIR``, else ``$WORKBENCH_CACHE``, else ``~/.cache/interaction-workbench/results``;
``--no-cache`` neither reads nor writes it. ``rashomon-set --builder retrain`` also keeps its
fitted members there (``member_cache``), so a rerun trains only the members it lacks.
``--device``, ``--max-batch-rows`` and the batch flags (``--workers``, ``--scheduler``,
``--checkpoint``, ``--chunk-size``) are not part of the key: they change how a result is
computed, not what it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.errors import ParameterError

CACHE_ENVIRONMENT = "WORKBENCH_CACHE"


def default_cache_dir() -> Path:
    """``$WORKBENCH_CACHE``, else ``~/.cache/interaction-workbench/results``."""
    configured = os.environ.get(CACHE_ENVIRONMENT)
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "interaction-workbench" / "results"


def add_cache_arguments(parser: argparse.ArgumentParser, what: str | None = None) -> None:
    """``--cache DIR`` and ``--no-cache``, for every analysis command; ``what`` says what the
    command keeps there (default: its results)."""
    what = what or "a result computed once with the same model, data and options is read from it"
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help=f"results store: {what} "
        f"(default ${CACHE_ENVIRONMENT} or ~/.cache/interaction-workbench/results)",
    )
    parser.add_argument("--no-cache", action="store_true", help="always compute, and store nothing")


def cached_result(
    args: argparse.Namespace,
    analyzer: str,
    *,
    model_fingerprint: str,
    data_fingerprint: str,
    parameters: dict[str, Any],
    compute: Callable[[], Any],
):
    """The stored result of ``analyzer`` for this model, data and parameters, else computed.

    Parameters
    ----------
    args : Namespace
        The command's arguments (``cache``, ``no_cache``).
    analyzer : str
        The registry name of the analysis ("rashomon", "interactions", "gates",
        "embeddings"); it reads a stored payload back into its result class.
    model_fingerprint, data_fingerprint : str
        ``ModelAdapter.fingerprint()`` (or :func:`file_fingerprint`) and
        ``Dataset.fingerprint()`` of the rows analysed.
    parameters : dict
        Everything else the result depends on (tuples are stored as lists).
    compute : callable
        ``compute() -> Result``, run only when nothing is stored.

    Returns
    -------
    Result
    """
    from app.analyses import analysis, analysis_code_version
    from workbench.store import ResultKey, ResultStore

    if args.no_cache:
        return compute()
    store = ResultStore(args.cache or default_cache_dir())
    key = ResultKey(
        analyzer,
        model_fingerprint,
        data_fingerprint,
        _json_safe(parameters),
        code_version=analysis_code_version(analyzer),
    )
    payload = store.get(key, frames=True)
    if payload is not None:
        print(f"workbench: {analyzer} result read from {store.root}", file=sys.stderr)
        return analysis(analyzer).read(payload)
    result = compute()
    store.put(key, result.to_dict(), seconds=result.seconds, model_names=result.model_names)
    return result


def member_cache(args: argparse.Namespace):
    """The cache of retrained set members in the command's results store (its ``members``
    folder), so a rerun reads the members it trained before; None with ``--no-cache``."""
    from workbench.member_cache import MemberCache
    from workbench.store import ResultStore

    if args.no_cache:
        return None
    return MemberCache.in_store(ResultStore(args.cache or default_cache_dir()))


def explored(args: argparse.Namespace, model, rows, parameters: dict[str, Any]):
    """The FISC result of ``model`` on ``rows`` (``explore_rashomon(**parameters)``): stored,
    else explored with a progress bar and stored. ``workbench fisc`` and ``compare --rashomon``
    both go through here."""
    from analyzers.rashomon import explore_rashomon
    from app.cli.batch import batch_options
    from app.cli.common import ProgressBar

    def explore():
        with ProgressBar(enabled=not args.no_progress) as bar, batch_options(args) as batch:
            return explore_rashomon(
                model,
                rows,
                max_batch_rows=args.max_batch_rows,
                progress=bar.update,
                **batch,
                **parameters,
            )

    return cached_result(
        args,
        "rashomon",
        model_fingerprint=model.fingerprint(),
        data_fingerprint=rows.fingerprint(),
        parameters=parameters,
        compute=explore,
    )


def scored(args: argparse.Namespace, model, rows, parameters: dict[str, Any], fingerprint: str):
    """The interaction scores of ``model`` (an adapter, or a raw tree estimator whose
    ``fingerprint`` is its file's) on ``rows``: stored, else scored and stored.
    ``workbench interactions`` and ``workbench compare`` both go through here."""
    from analyzers.interactions import score_interactions
    from app.cli.batch import batch_options, batch_requested
    from app.cli.common import ProgressBar

    def score():
        # The command has no bar of its own; chunks of a batch run get one.
        with ProgressBar(enabled=batch_requested(args)) as bar, batch_options(args) as batch:
            return score_interactions(
                model,
                rows,
                max_batch_rows=args.max_batch_rows,
                device=args.device,
                progress=bar.update if batch_requested(args) else None,
                **batch,
                **parameters,
            )

    return cached_result(
        args,
        "interactions",
        model_fingerprint=fingerprint,
        data_fingerprint=rows.fingerprint(),
        parameters=parameters,
        compute=score,
    )


def file_fingerprint(path: str | Path) -> str:
    """sha256 hex of a file's bytes: the fingerprint of a model used as loaded (a raw tree)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_safe(parameters: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(parameters, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ParameterError(f"parameters: not JSON-safe ({error})") from None
