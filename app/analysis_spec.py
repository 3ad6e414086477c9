"""What one analysis of the registry (``app.analyses``) is: how it computes and reads back its
result, and its parameters: defaults read from the analyzer's signature, choices, bounds and the
converters that type a URL's or a form's text."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import ParameterError
from workbench.progress import ProgressCallback

#: numpy's seeds
SEED_BOUNDS = (0, 2**32 - 1)


def signature_default(function: Callable, name: str) -> Any:
    """The default of ``function``'s parameter ``name``: the one source of a default, read by
    the registry (:func:`signature_defaults`) and the CLI's options alike."""
    parameter = inspect.signature(function).parameters.get(name)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        raise ParameterError(f"{function.__name__} has no default for {name!r}")
    return parameter.default


def signature_defaults(
    function: Callable,
    names: Sequence[str],
    *,
    switches: Sequence[str] = (),
    **app_only: Any,
) -> dict:
    """Defaults of an analysis: ``function``'s own for ``names``, then the app's own parameters.

    The analyzer's signature is the one source of a default, so the API, the CLI and the app
    give the same numbers (tests/test_defaults.py pins it). ``switches`` are bool parameters
    the app carries as "on"/"off" (a URL's "off" is a non-empty string, so ``bool("off")`` is
    True). ``app_only`` holds what the analyzer has no parameter for (the app's row sample, a
    gate site) or whose default is None (the app states the count None stands for, so a form
    shows it and a URL types it as an int); it cannot override a default the signature sets.
    Order: ``names`` first, then ``app_only``.
    """
    parameters = inspect.signature(function).parameters
    defaults = {name: signature_default(function, name) for name in names}
    for name in switches:
        defaults[name] = "on" if defaults[name] else "off"
    for name in app_only:
        if name in parameters and parameters[name].default is not None:
            raise ParameterError(
                f"{name}: {function.__name__} defaults to {parameters[name].default!r}; "
                "the app keeps the analyzer's default"
            )
    defaults.update(app_only)
    return defaults


@dataclass(frozen=True)
class Analysis:
    """How to compute one kind of result and read it back from the store."""

    name: str
    compute: Callable[[Any, dict, ProgressCallback | None], Any]
    read: Callable[[dict], Any]
    defaults: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    #: name -> (lowest, highest) allowed value of every numeric parameter, inclusive: checked
    #: before a job starts, so a typo cannot ask for a 40 GB allocation
    bounds: dict = field(default_factory=dict)
    #: name -> function typing a given value, for parameters ``type(default)(value)`` cannot
    #: type (a tuple from a URL's "0.5,1", a bool from "off", which ``bool`` calls True);
    #: a sequence's bounds hold for each of its numbers
    converters: dict = field(default_factory=dict)
    #: ``compute`` also takes ``workspace=`` (it reads another model of the workspace)
    with_workspace: bool = False
    #: ``compute`` also takes ``chunks=``: the analyzer's ``executor`` and ``checkpoint`` when
    #: the server has a Dask cluster (``app.job_cluster``), empty otherwise
    chunked: bool = False

    def parameters(self, given: dict | None, *, from_form: bool = False) -> dict:
        """``given`` over the defaults, typed like the defaults and within their bounds; unknown
        names are an error. ``from_form``: a numeric value that is None or empty is an error
        too (a number box the browser found invalid, e.g. out of its range, sends None), where a
        URL or script leaving it out means the default."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise ParameterError(
                f"{self.name}: unknown parameter {unknown[0]!r}; known: {', '.join(self.defaults)}"
            )
        merged = {}
        for name, default in self.defaults.items():
            value = given.get(name, default)
            if value is None or value == "":
                if from_form and name in self.bounds and name in given:
                    low, high = self.bounds[name]
                    raise ParameterError(
                        f"{name}: enter a number from {number_text(low)} to {number_text(high)}"
                    )
                value = default
            convert = self.converters.get(name) or (
                type(default) if default is not None else (lambda given: given)
            )
            try:
                value = convert(value)
            except ParameterError:  # a converter's own message
                raise
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{name}: expected a {type(default).__name__}, got {value!r}"
                ) from None
            if name in self.bounds:
                low, high = self.bounds[name]
                # "not within" also catches NaN, which compares false with everything.
                for number in value if isinstance(value, tuple) else (value,):
                    if not low <= number <= high:
                        raise ParameterError(
                            f"{name}: expected at least {number_text(low)} and at most "
                            f"{number_text(high)}, got {number!r}"
                        )
            allowed = self.choices.get(name)
            if allowed and value not in allowed:
                raise ParameterError(
                    f"{name}: expected one of {', '.join(map(str, allowed))}, got {value!r}"
                )
            merged[name] = value
        return merged


def number_text(value: float) -> str:
    """A bound as a message writes it: "10,000", "0.49"."""
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"
