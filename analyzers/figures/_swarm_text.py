"""The words of the swarm plots: hover texts, axis title and "how to read this".

Kept apart from the layout in ``swarm`` so the sentences a user reads are in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.rashomon_result import MIN_IN_SET_MODELS, RashomonResult

OUTSIDE_NAME = "outside the set (loss > L*+ε)"


def loss_name(result: RashomonResult) -> str:
    return str(result.settings.get("loss", "the model's loss"))


def axis_title(measure: str, result: RashomonResult) -> str:
    return f"{measure} (loss units: {loss_name(result)})"


def fis_reading(result: RashomonResult, absolute: bool, include_outside: bool) -> str:
    bound = result.reference_loss + result.epsilon
    sign = (
        "|FIS| drops the sign (the paper-era convention): it says how strong, not which way. "
        if absolute
        else "FIS < 0: permuting the two groups together raises the loss by less than "
        "permuting each alone, added up: the model combines them (f = x1·x2 gives "
        "FIS = −2·Var x1·Var x2). FIS > 0: together raises it by more, as for correlated "
        "groups in an additive model. FIS ≈ 0: the groups act separately. "
    )
    outside = (
        "Grey crosses are sampled models outside the set (loss > L*+ε); they are not part of the "
        "in-set ranges. "
        if include_outside
        else "Sampled models outside the set are not drawn. "
    )
    return (
        f"One row per interaction; each dot is one model in the Rashomon set (loss ≤ L* + ε "
        f"= {bound:.4g}), placed at its FIS and coloured by its loss (blue: lowest, red: at "
        f"the bound). The orange star is the reference model (the trained model, L* = "
        f"{result.reference_loss:.4g}). FIS = φ_ij − φ_i − φ_j, where φ is the rise of the "
        f"mean loss ({loss_name(result)}) when the groups' values are permuted, so FIS is in "
        f"loss units. {sign}A wide row means equally good models disagree about that "
        f"interaction. {outside}Rows are ranked by range over the set, widest on top; a row "
        f"marked ⚠ has fewer than {MIN_IN_SET_MODELS} sampled models in the set and is not "
        "ranked."
    )


def main_effect_reading(result: RashomonResult, include_outside: bool) -> str:
    outside = (
        "Grey crosses are sampled models outside the set (loss > L*+ε). "
        if include_outside
        else "Sampled models outside the set are not drawn. "
    )
    return (
        "One row per group; each dot is one single-mask model in the Rashomon set (loss ≤ L* "
        f"+ ε = {result.reference_loss + result.epsilon:.4g}), placed at its main effect φ_i, "
        f"the rise of the mean loss ({loss_name(result)}) when the group's values are "
        "permuted, in loss units; larger means the model relies more on the group. Colour is "
        "the model's loss (blue: lowest, red: at the bound); the orange star is the reference "
        f"model (the trained model). {outside}Rows are ranked by range over the set, widest "
        "on top."
    )


def membership(in_set) -> str:
    return "inside the Rashomon set" if bool(in_set) else "OUTSIDE the set (loss > L*+ε)"


def fis_hover(
    models: pd.DataFrame, values: np.ndarray, label: str, measure: str, result: RashomonResult
) -> list[str]:
    return [
        f"<b>{label}</b><br>model {model_id}, split {split}, signs {signs}<br>"
        f"{measure} = {value:.4g}<br>"
        f"loss = {loss:.4g} (L* + {increase / result.epsilon:.2f} ε)<br>"
        f"{membership(in_set)}"
        for model_id, split, signs, value, loss, increase, in_set in zip(
            models["model_id"],
            models["split"],
            models["signs"],
            values,
            models["loss"],
            models["loss_increase"],
            models["in_set"],
            strict=True,
        )
    ]


def main_effect_hover(
    models: pd.DataFrame, values: np.ndarray, group: str, result: RashomonResult
) -> list[str]:
    return [
        f"<b>{group}</b><br>model {model_id}, direction {direction}, t = {t:.2f}<br>"
        f"mask = {mask:.4f}<br>main effect = {value:.4g}<br>"
        f"loss = {loss:.4g} (L* + {increase / result.epsilon:.2f} ε)<br>"
        f"{membership(in_set)}"
        for model_id, direction, t, mask, value, loss, increase, in_set in zip(
            models["model_id"],
            models["direction"],
            models["t"],
            models["mask"],
            values,
            models["loss"],
            models["loss_increase"],
            models["in_set"],
            strict=True,
        )
    ]
