"""What an interaction score means, in words: its unit, its sign, how it was aggregated.

Shared by the figures of one model (``figures.interactions``), of several (``figures.compare``)
and of the gates (``figures.gates``), so every figure of the same index says the same thing. The
conventions follow the analyzers' definitions (``analyzers.interactions``) and docs/fisc.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INDEX_TITLES = {
    "fis": "permutation FIS",
    "h2": "Friedman H²",
    "sii": "SII",
    "stii": "Shapley-Taylor (STII)",
    "ksii": "k-SII",
    "tree": "tree SHAP (SII scale)",
}
AGGREGATE_WORDS = {"mean_abs": "mean |value|", "mean": "signed mean"}
#: the diagnostic an analyzer sets when every score is rounding noise
NO_INTERACTION = "no_interaction_above_tolerance"

_OUTPUT_UNITS = {
    "logit": "logit (log-odds) units",
    "probability": "probability units",
    "value": "units of the model's output",
    "raw": "units of the model's raw output",
    "log_odds": "logit (log-odds) units",
}
_LOSS_NAMES = {"log_loss": "log-loss", "mse": "squared error", "cross_entropy": "cross-entropy"}
_SHAPLEY = ("sii", "stii", "ksii", "tree")


def is_signed(index: str) -> bool:
    """Whether scores of ``index`` carry a sign (H² is a share of variance, never negative)."""
    return index != "h2"


def loss_name(settings: Mapping[str, Any]) -> str:
    """The loss of a loss-based score in words ("log-loss"), or "loss" when unknown."""
    name = settings.get("loss")
    return _LOSS_NAMES.get(name, str(name)) if name else "loss"


def score_unit(index: str, settings: Mapping[str, Any]) -> str:
    """Short unit of a score, for axis and colour-bar titles ("logit", "log-loss", "share")."""
    if index == "fis":
        return loss_name(settings)
    if index == "h2":
        return "share of the output's variance" if _h2_on_output(settings) else "share of the pair"
    return str(settings.get("output") or "output")


def unit_sentence(index: str, settings: Mapping[str, Any]) -> str:
    """One sentence on the unit of ``index`` scores computed with ``settings``."""
    if index == "fis":
        return (
            f"FIS is in {loss_name(settings)} units: FIS = φ_ij − φ_i − φ_j, where φ_S is the "
            f"mean increase of the {loss_name(settings)} when the groups in S are replaced by "
            "permuted values."
        )
    if index == "h2":
        if _h2_on_output(settings):
            return (
                "H² here is normalised by the output's variance: the variance of the pair's "
                "interaction (joint partial dependence minus both single ones) over the variance "
                "of the model's output, so pairs compare by size (0 to 1)."
            )
        return (
            "H² here is Friedman's pair normalisation: the variance of the pair's interaction "
            "over the variance of the pair's joint partial dependence, i.e. how much of that "
            "pair's effect is interaction, not how large it is (a pair of weak groups can score "
            "near 1)."
        )
    unit = _OUTPUT_UNITS.get(str(settings.get("output")), f"{settings.get('output')} units")
    if settings.get("output") is None:
        unit = "units of the model's output"
    return f"{INDEX_TITLES[index]} values are in {unit}, per explained row."


def sign_sentence(index: str) -> str:
    """The sign convention of ``index`` in words."""
    if index == "fis":
        return (
            "FIS < 0: replacing both groups together raises the loss less than the sum of "
            "replacing each alone, which is what a pure interaction gives (for f = x1·x2 each "
            "replacement alone already destroys the shared term); FIS > 0: together it hurts "
            "more than the sum (e.g. correlated additive effects); 0: additive and uncorrelated."
        )
    if index == "h2":
        return "H² is never negative: 0 means no interaction; it carries no direction."
    return (
        "Positive: the two groups together move the output up more than the sum of each alone "
        "(synergy); negative: less than the sum (redundancy, or effects that offset); 0: "
        "additive."
    )


def aggregate_sentence(index: str, aggregate: str) -> str:
    """How the pair values were summarised, and what that hides."""
    local = index in _SHAPLEY
    if aggregate == "mean_abs":
        over = "mean of |value| over the explained rows" if local else "|value|"
        if not is_signed(index):
            return "Each pair shows its H²."
        return (
            f"Each pair shows its {over}: a strength, with the sign dropped, so synergy and "
            "redundancy look alike; the signed mean shows the direction."
        )
    if local:
        return (
            "Each pair shows its signed mean over the explained rows: rows of opposite sign "
            "cancel, so a small mean can hide large per-row values (see mean |value|)."
        )
    return "Each pair shows its signed value."


def index_reading(index: str, settings: Mapping[str, Any], aggregate: str) -> str:
    """Unit, sign convention and aggregation of ``index`` scores, as sentences."""
    parts = [unit_sentence(index, settings), sign_sentence(index)]
    parts.append(aggregate_sentence(index, aggregate))
    return " ".join(parts)


def _h2_on_output(settings: Mapping[str, Any]) -> bool:
    return settings.get("h2_scale") == "output"
