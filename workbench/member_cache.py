"""Fitted members of a retrained model set, cached on disk one file per member.

As scikit-learn's ``Pipeline(memory=...)``: analyses do no I/O of their own, so a builder that
trains members takes one of these and asks it for each member's fitted estimator; the cache
gives the stored one, or the builder fits it and stores it. A member is stored as soon as it
is fitted (atomically, :func:`workbench.store.write_atomically`), so an interrupted build keeps
every member finished so far and a rerun trains only the rest.

A file is named by the digest of everything the fit depends on: the member's recipe (estimator
class, parameters, seed, bootstrap index, library versions), the training rows' fingerprint and
the version of the training code. Equal inputs find the file; any change misses it.

Files are joblib pickles, and loading a pickle runs code. These are trusted because this cache
only ever reads files that this class itself wrote into a folder of the user's own (the CLI's
``--cache`` store or a workspace's); nothing from outside (an upload, a browser's request) may be
put into or read through it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from workbench.store import ResultStore, write_atomically

#: the store's sub-folder of cached members (beside the analyses' result folders)
MEMBERS_FOLDER = "members"
_LAYOUT = 1  # bump when the file format changes, so old files are no longer found


class MemberCache:
    """A folder of fitted estimators, keyed by how they were fitted.

    Parameters
    ----------
    root : str or Path
        The folder (created on the first write).

    Attributes
    ----------
    n_loaded, n_saved : int
        Members this cache object read back, and members it stored, so far.

    Examples
    --------
    >>> cache = MemberCache.in_store(ResultStore(tmp_path))  # doctest: +SKIP
    >>> key = cache.key({"estimator": "Ridge"}, train.fingerprint(), "v1")  # doctest: +SKIP
    >>> cache.load(key) is None  # doctest: +SKIP
    True
    >>> _ = cache.save(key, Ridge().fit(X, y)); cache.load(key)  # doctest: +SKIP
    Ridge()
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.n_loaded = 0
        self.n_saved = 0

    @classmethod
    def in_store(cls, store: ResultStore) -> MemberCache:
        """The member cache kept inside a results store (its ``members`` sub-folder)."""
        return cls(store.root / MEMBERS_FOLDER)

    def key(self, recipe: dict[str, Any], data_fingerprint: str, code_version: str) -> str:
        """sha256 hex of a member's recipe (JSON-safe), training rows and training code."""
        text = json.dumps(
            [_LAYOUT, recipe, data_fingerprint, code_version],
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def path_for(self, key: str) -> Path:
        return self.root / f"{key}.joblib"

    def load(self, key: str) -> Any | None:
        """The stored estimator of ``key``, or None when there is none or it does not load."""
        import joblib

        path = self.path_for(key)
        if not path.is_file():
            return None
        try:
            # Trusted: a file this class wrote into the user's own cache folder (module note).
            estimator = joblib.load(path)
        except Exception:  # a damaged or outdated file is refitted and replaced
            return None
        self.n_loaded += 1
        return estimator

    def save(self, key: str, estimator: Any) -> Path:
        """Store ``estimator`` under ``key``, atomically; returns the file written."""
        import joblib

        path = write_atomically(self.path_for(key), lambda handle: joblib.dump(estimator, handle))
        self.n_saved += 1
        return path
