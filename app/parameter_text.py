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


def url_value(value) -> str:
    """A parameter as a URL query writes it, read back by the registry: radii "0.5,1"."""
    if isinstance(value, tuple | list):
        return ",".join(f"{number:g}" for number in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
