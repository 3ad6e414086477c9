"""Old parameter names keep working for one release, with a warning that names the new one."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import TypeVar

from workbench.errors import ParameterError

F = TypeVar("F", bound=Callable)


def renamed_parameters(**renames: str) -> Callable[[F], F]:
    """Accept ``old=`` keywords as ``new=`` (``renamed_parameters(seed="random_state")``).

    A FutureWarning (shown to users by default, as scikit-learn does for its renames) names the
    new spelling; giving both is a one-line error. ``inspect.signature`` of the wrapped function
    still shows the new names and their defaults.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise ParameterError(f"{old}: renamed to {new}; give only {new}")
                warnings.warn(
                    f"{func.__name__}: {old}= is renamed {new}=; {old}= will be removed in the "
                    "next release",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
