"""The game's output scale is a property of the model's predictions, and its clip is explicit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from analyzers.interactions import score_interactions
from workbench import Dataset, wrap_model


def codes(result):
    return [d.code for d in result.diagnostics]


def three_class_data(rows: int = 120) -> Dataset:
    generator = np.random.default_rng(0)
    X = generator.normal(size=(rows, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5).astype(int)  # classes 0, 1, 2
    return Dataset.from_arrays(X, y)


def scores(model, data, index, **kwargs):
    result = score_interactions(model, data, index, rows=20, background=15, **kwargs)
    table = result.global_scores("mean")
    return table.set_index("pair")["value"], result


class Logits(torch.nn.Module):
    """The same logits plus h(x) in every class: the same softmax, so the same predictions."""

    def __init__(self, linear: torch.nn.Linear, shift: bool) -> None:
        super().__init__()
        self.linear, self.shift = linear, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.linear(x)
        if self.shift:
            logits = logits + (3.0 * x[:, :1] * x[:, 1:2] - x[:, 2:3] ** 2)
        return logits


@pytest.mark.parametrize("index", ["sii", "h2"])
@pytest.mark.parametrize("output", ["logit", "probability"])
def test_a_multi_class_model_scores_alike_however_it_is_wrapped(index, output):
    data = three_class_data()
    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=400, random_state=0)
    mlp.fit(data.X.numpy(), data.y.numpy().astype(int))
    converted = wrap_model(mlp, device="cpu")  # a torch module returning the 3 logits
    module = wrap_model(converted.module, n_classes=3, device="cpu")  # the bare torch module
    probabilities = wrap_model(mlp.predict_proba, "classification", n_classes=3, device="cpu")
    assert (converted.output_kind, module.output_kind) == ("logit", "logit")
    assert probabilities.output_kind == "probability"
    kwargs = {"output": output, "class_index": 2}
    reference, _ = scores(converted, data, index, **kwargs)
    assert reference.abs().max() > 1e-3  # not trivially equal
    for adapter in (module, probabilities):
        other, _ = scores(adapter, data, index, **kwargs)
        np.testing.assert_allclose(other, reference, rtol=0, atol=1e-6)


def test_adding_the_same_function_to_every_logit_changes_no_score():
    data = three_class_data()
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 3)
    plain = wrap_model(Logits(linear, shift=False), n_classes=3, device="cpu")
    shifted = wrap_model(Logits(linear, shift=True), n_classes=3, device="cpu")
    for index in ("sii", "h2"):
        reference, _ = scores(plain, data, index, class_index=0)
        other, _ = scores(shifted, data, index, class_index=0)
        # A linear model's one-vs-rest log-odds are not additive, so SII is not zero here; the
        # raw class logit (the old scale) scored x1 × x2 from h alone.
        np.testing.assert_allclose(other, reference, rtol=0, atol=1e-6)


def test_binary_logit_scale_is_the_usual_logit_on_every_path():
    """Two classes: the one-vs-rest log-odds is log(p / (1 - p)), the scale binary models had."""
    data = three_class_data()
    y = (data.y.numpy() > 0).astype(int)
    binary = Dataset.from_arrays(data.X.numpy(), y)
    clf = LogisticRegression().fit(binary.X.numpy(), y)
    interacting = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    one_logit = wrap_model(interacting, "classification", device="cpu")

    def two_columns(x):  # class-0 and class-1 logits of the same model
        x = torch.as_tensor(x)
        return torch.cat([torch.zeros_like(x[:, :1]), interacting(x)], dim=1).detach()

    two_logits = wrap_model(two_columns, "classification", output="logit", device="cpu")

    def probability(x):
        return torch.sigmoid(interacting(torch.as_tensor(x))).detach().numpy()

    as_probability = wrap_model(probability, "classification", device="cpu")
    reference, _ = scores(one_logit, binary, "sii")
    for adapter in (two_logits, as_probability):
        np.testing.assert_allclose(scores(adapter, binary, "sii")[0], reference, atol=1e-5)
    # A logistic regression is additive on the logit scale, whichever way it returns it.
    proba = wrap_model(clf.predict_proba, "classification", device="cpu")
    assert scores(proba, binary, "sii")[0].abs().max() < 1e-5


def test_the_clip_is_reported_and_a_saturated_forest_gets_a_warning():
    data = three_class_data(200)
    y = (data.y.numpy() > 0).astype(int)
    binary = Dataset.from_arrays(data.X.numpy(), y)
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(binary.X.numpy(), y)
    _, result = scores(forest, binary, "sii")
    assert result.settings["probability_clip"] == 1e-7
    assert result.settings["clipped_row_share"] > 0.02
    assert "probability_clip_active" in codes(result)
    message = next(d.message for d in result.diagnostics if d.code == "probability_clip_active")
    assert "probability_clip=1e-07" in message and "output='probability'" in message
    # The scores do depend on the clip; the probability scale has none and no warning.
    looser, _ = scores(forest, binary, "sii", probability_clip=1e-3)
    assert not np.allclose(looser, scores(forest, binary, "sii")[0], atol=1e-3)
    _, on_probability = scores(forest, binary, "sii", output="probability")
    assert on_probability.settings["clipped_row_share"] == 0.0
    assert "probability_clip_active" not in codes(on_probability)


def test_a_smooth_model_does_not_hit_the_clip():
    data = three_class_data()
    y = (data.y.numpy() > 0).astype(int)
    binary = Dataset.from_arrays(data.X.numpy(), y)
    clf = LogisticRegression().fit(binary.X.numpy(), y)
    _, result = scores(clf.predict_proba, binary, "sii")
    assert result.settings["clipped_row_share"] == 0.0
    assert "probability_clip_active" not in codes(result)


@pytest.mark.parametrize("clip", [0.0, 0.5, -1e-3, "small"])
def test_probability_clip_must_be_in_the_open_interval(clip):
    data = three_class_data()
    with pytest.raises(Exception, match="probability_clip") as excinfo:
        score_interactions(lambda x: np.full(len(x), 0.5), data, "sii", probability_clip=clip)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize("index", ["sii", "stii", "ksii", "h2"])
def test_logistic_regression_on_binary_features_has_no_interactions_detected(index):
    """On its logit scale a logistic regression is additive: every score is float32 rounding
    (about 1e-8, as on compas-logistic) and must be called that, not drawn as a pattern."""
    grid = np.array(list(itertools.product([0.0, 1.0], repeat=5)))
    X = np.concatenate([grid] * 4)
    generator = np.random.default_rng(1)
    logits = X @ np.array([1.3, -0.7, 2.1, 0.4, -1.6]) - 0.5
    y = (generator.random(len(X)) < 1 / (1 + np.exp(-logits))).astype(int)
    data = Dataset.from_arrays(X, y)
    clf = LogisticRegression().fit(X, y)
    result = score_interactions(clf, data, index, rows=40, background=30)
    largest = result.global_scores("mean_abs")["value"].max()
    assert largest < 1e-5
    assert "no_interaction_above_tolerance" in codes(result)
    message = next(d.message for d in result.diagnostics if d.code.startswith("no_interaction"))
    assert "no interactions detected" in message and "tolerance" in message


def test_a_forest_certain_on_a_quarter_of_the_rows_makes_logit_scores_hang_on_the_clip():
    """The issue's random forest (18% of rows at p = 0 or 1), reproduced small and seeded: the
    warning gives the share of rows the clip changes, and it is justified, since moving the
    clip from 1e-7 to 1e-4 moves every logit-scale score; the probability scale has no clip."""
    generator = np.random.default_rng(3)
    X = generator.normal(size=(60, 3))
    y = ((X[:, 0] * X[:, 1] > 0) ^ (generator.random(60) < 0.1)).astype(int)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    p = forest.predict_proba(X)[:, 1]
    certain = float(np.mean((p == 0) | (p == 1)))  # a forest's p is a multiple of 1/10
    assert certain == 0.25
    data = Dataset.from_arrays(X, y)

    def run(**kwargs):
        # every row explained and in the background: the clipped share is the data's
        result = score_interactions(forest, data, "sii", rows=60, background=60, **kwargs)
        return result.global_scores("mean_abs").set_index("pair")["value"], result

    tight, tight_result = run()
    loose, loose_result = run(probability_clip=1e-4)
    for result, clip in ((tight_result, "1e-07"), (loose_result, "0.0001")):
        assert result.settings["clipped_row_share"] == certain
        message = next(d.message for d in result.diagnostics if d.code == "probability_clip_active")
        assert message.startswith("25% of the explained and background rows")
        assert f"probability_clip={clip}" in message
    # log-odds at the clip: logit(1e-7) = -16.1 against logit(1e-4) = -9.2, so the scores of
    # every pair grow by well over a half with the tighter clip
    assert ((tight / loose) > 1.5).all()
    on_probability = [run(output="probability", probability_clip=c)[1] for c in (1e-7, 1e-4)]
    for result in on_probability:
        assert result.settings["clipped_row_share"] == 0.0
        assert "probability_clip_active" not in codes(result)
    np.testing.assert_array_equal(
        on_probability[0].scores["value"].to_numpy(), on_probability[1].scores["value"].to_numpy()
    )
    # on that scale the planted x0 × x1 leads
    assert run(output="probability")[0].idxmax() == "x0 × x1"
