"""A small hand-built RashomonResult whose frames agree with each other and with fisc.md 2.3.

Groups age, prior, income (zip dropped). Pairs:
- age × prior: no interaction in the loss; every joint model sits at loss increase r·ε, for the
  rings r = 0.5 and r = 1.
- age × income: product-like; same-sign quadrants at ≈1.84 ε (outside the set), opposite-sign at
  ≈0.16 ε (inside).
- income × prior: stored with income first, a mild interaction.
Triple age × prior × income: 36 splits × 8 signs, every model at ε.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analyzers.rashomon_result import RashomonResult, interaction_label

EPSILON = 0.05
REFERENCE_LOSS = 0.40
GROUPS = ("age", "prior", "income")
PAIR_SIGNS = ("++", "+-", "-+", "--")  # quadrants 0..3
REFERENCE_FIS = {
    "age × prior": 0.0,
    "age × income": -0.35,
    "income × prior": 0.02,
    "age × prior × income": 0.01,
}
REFERENCE_MAIN_EFFECTS = {"age": 0.5, "prior": 0.2, "income": 0.3}
MAIN_EFFECT_SPREAD = {"age": 0.3, "prior": 0.1, "income": 0.2}


def _joint_row(model_id, groups, radius, split, quadrant, signs, loss_increase, fis):
    parts = [int(p) for p in split.split(":")]
    shares = [p / sum(parts) for p in parts]
    row = {
        "model_id": model_id,
        "interaction": interaction_label(groups),
        "order": len(groups),
        "radius": radius,
        "split": split,
        "quadrant": quadrant,
        "signs": signs,
        "loss": REFERENCE_LOSS + loss_increase,
        "loss_increase": loss_increase,
        "in_set": bool(loss_increase <= EPSILON + 1e-12),
        "joint_effect": 0.8 + fis,
        "fis": fis,
    }
    for k in range(1, 4):
        inside = k <= len(groups)
        sign = (1.0 if signs[k - 1] == "+" else -1.0) if inside else np.nan
        row[f"group_{k}"] = groups[k - 1] if inside else None
        row[f"share_{k}"] = shares[k - 1] if inside else np.nan
        row[f"mask_{k}"] = 1.0 + sign * 0.2 * radius * shares[k - 1] if inside else np.nan
        row[f"main_effect_{k}"] = 0.25 * k if inside else np.nan
    return row


def _pair_rows(next_id, groups, radius, loss_increase_of, fis_of):
    rows = []
    for k in range(1, 10):
        for quadrant, signs in enumerate(PAIR_SIGNS):
            increase = loss_increase_of(k, signs) * EPSILON
            rows.append(
                _joint_row(
                    next(next_id),
                    groups,
                    radius,
                    f"{k}:{10 - k}",
                    quadrant,
                    signs,
                    increase,
                    fis_of(k, quadrant, signs),
                )
            )
    return rows


def _triple_rows(next_id):
    rows = []
    splits = [(a, b, 10 - a - b) for a in range(1, 9) for b in range(1, 10 - a)]
    patterns = ["".join(p) for p in itertools.product("+-", repeat=3)]
    for a, b, c in splits:
        for quadrant, signs in enumerate(patterns):
            fis = 0.01 + 0.02 * np.sin(a + 2 * b + 3 * quadrant)
            rows.append(
                _joint_row(
                    next(next_id), GROUPS, 1.0, f"{a}:{b}:{c}", quadrant, signs, EPSILON, fis
                )
            )
    return rows


def _fis_cloud(next_id):
    def same_sign(signs):
        return signs[0] == signs[1]

    rows = []
    for radius in (0.5, 1.0):
        rows += _pair_rows(
            next_id,
            ("age", "prior"),
            radius,
            lambda k, s, r=radius: r,
            lambda k, q, s: 0.001 * np.sin(k + 9 * q),
        )
    rows += _pair_rows(
        next_id,
        ("age", "income"),
        1.0,
        lambda k, s: (1.84 if same_sign(s) else 0.16) + 0.03 * np.sin(k),
        lambda k, q, s: (-0.5 - 0.02 * k) if same_sign(s) else (-0.2 + 0.01 * k),
    )
    rows += _pair_rows(
        next_id,
        ("income", "prior"),
        1.0,
        lambda k, s: 1.2 if same_sign(s) else 0.8,
        lambda k, q, s: 0.02 + 0.05 * np.cos(k + 9 * q),
    )
    rows += _triple_rows(next_id)
    return pd.DataFrame(rows)


def _main_effect_cloud(next_id):
    rows = []
    for group in GROUPS:
        for direction, sign in (("+", 1.0), ("-", -1.0)):
            for t in np.round(np.linspace(0.0, 1.0, 11), 2):
                increase = 0.95 * t * EPSILON
                rows.append(
                    {
                        "model_id": next(next_id),
                        "group": group,
                        "direction": direction,
                        "t": t,
                        "radius": 1.0,
                        "mask": 1.0 + sign * 0.3 * t,
                        "loss": REFERENCE_LOSS + increase,
                        "loss_increase": increase,
                        "in_set": True,
                        "main_effect": REFERENCE_MAIN_EFFECTS[group]
                        + sign * MAIN_EFFECT_SPREAD[group] * t,
                    }
                )
    return pd.DataFrame(rows)


def _trace_and_boundaries():
    steps, boundaries = [], []
    for group in GROUPS:
        for direction, sign in (("+", 1.0), ("-", -1.0)):
            for step in range(5):
                mask = 1.0 + sign * 0.05 * (step + 1)
                steps.append(
                    {
                        "group": group,
                        "direction": direction,
                        "t": 0.2 * (step + 1),
                        "step": step,
                        "mask": mask,
                        "loss_increase": 0.18 * (step + 1) * EPSILON,
                    }
                )
            boundaries.append(
                {
                    "group": group,
                    "direction": direction,
                    "t": 1.0,
                    "mask": 1.0 + sign * 0.25,
                    "loss_increase": 0.9 * EPSILON,
                    "stop": "boundary",
                }
            )
    return pd.DataFrame(steps), pd.DataFrame(boundaries)


def build_result() -> RashomonResult:
    next_id = itertools.count()
    fis_cloud = _fis_cloud(next_id)
    main_effect_cloud = _main_effect_cloud(next_id)
    trace, boundaries = _trace_and_boundaries()
    reference_fis = pd.DataFrame(
        [
            {
                "interaction": label,
                "order": len(label.split(" × ")),
                "group_1": label.split(" × ")[0],
                "group_2": label.split(" × ")[1],
                "group_3": label.split(" × ")[2] if label.count("×") == 2 else None,
                "joint_effect": 0.8 + fis,
                "fis": fis,
            }
            for label, fis in REFERENCE_FIS.items()
        ]
    )
    reference_main_effects = pd.DataFrame(
        [
            {"group": g, "main_effect": v, "dropped": False}
            for g, v in REFERENCE_MAIN_EFFECTS.items()
        ]
        + [{"group": "zip", "main_effect": 0.001, "dropped": True}]
    )
    return RashomonResult(
        model_names=("model",),
        reference_loss=REFERENCE_LOSS,
        epsilon=EPSILON,
        group_names=GROUPS,
        dropped_groups=("zip",),
        settings={"radii": (0.5, 1.0), "loss": "log_loss"},
        seconds=1.0,
        reference_main_effects=reference_main_effects,
        reference_fis=reference_fis,
        boundaries=boundaries,
        trace=trace,
        main_effect_cloud=main_effect_cloud,
        fis_cloud=fis_cloud,
    )


@pytest.fixture(scope="session")
def result() -> RashomonResult:
    return build_result()
