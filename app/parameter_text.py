"""Analysis parameters as URLs and forms write them: text that the registry
(``app.analyses``) types back, for parameters ``type(default)(text)`` cannot type."""

from __future__ import annotations

from workbench.errors import ParameterError

#: rings a FISC job may draw (each one adds a set of joint models per interaction)
MAX_RADII = 8


def parse_radii(value) -> tuple[float, ...]:
    """FISC's ring radii from a URL or form ("0.5, 1") or a list: sorted, distinct floats."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    try:
        radii = tuple(sorted({float(part) for part in parts}))
    except (TypeError, ValueError):
        radii = ()
    if not radii or len(radii) > MAX_RADII:
        raise ParameterError(
            f"radii: expected 1 to {MAX_RADII} comma-separated numbers, got {value!r}"
        )
    return radii


def parse_switch(value) -> bool:
    """A bool from a URL or form: "on"/"off", "true"/"false", "1"/"0" (``bool("off")`` is True)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("on", "true", "1"):
        return True
    if text in ("off", "false", "0"):
        return False
    raise ValueError(value)


def parse_field_pairs(value) -> str:
    """Field pairs from a URL ("a,b;c,d", the CLI's ``--pairs``) or a form's multi-select
    (["a,b", "c,d"]) as one canonical text: each pair's fields and the pairs sorted, duplicates
    dropped, so the same choice in any order is one stored result. "" (none named): every pair."""
    parts = value.split(";") if isinstance(value, str) else list(value or ())
    pairs = set()
    for part in parts:
        fields = part.split(",") if isinstance(part, str) else list(part)
        fields = [str(name).strip() for name in fields]
        if fields == [""]:
            continue
        if len(fields) != 2 or not all(fields) or fields[0] == fields[1]:
            raise ParameterError(
                f"pairs: expected 'a,b;c,d' (two different fields per pair), got {value!r}"
            )
        pairs.add(",".join(sorted(fields)))
    return ";".join(sorted(pairs))


def field_pairs(text: str) -> list[tuple[str, str]] | None:
    """The pairs of :func:`parse_field_pairs`' text as an analyzer takes them; None: every pair."""
    return [tuple(pair.split(",")) for pair in text.split(";")] if text else None


def url_value(value) -> str:
    """A parameter as a URL query writes it, read back by the registry: radii "0.5,1"."""
    if isinstance(value, tuple | list):
        return ",".join(f"{number:g}" for number in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
