"""The Embeddings page's optional parts: private-row Δloss, cross-model CKA and attribution
colouring, carried by the registry and the URL and shown in the result view."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import torch

from app.analyses import analysis, compute_result
from workbench.errors import ParameterError
from workbench.models import wrap_model
from workbench.workspace import Workspace
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.training import TrainingConfig, train_ctr_model

ASKED = {
    "attribution": "feature_ablation",
    "private_rows": True,
    "n_steps": 3,
    "compare_with": "tiny-gdcn",
}


def test_registry_types_the_new_options_and_refuses_bad_ones():
    spec = analysis("embeddings")
    assert spec.parameters({})["private_rows"] is False
    assert spec.parameters({})["compare_with"] == "none"
    typed = spec.parameters({**ASKED, "private_rows": "on", "n_steps": "3"})
    assert typed == {**spec.parameters({}), **ASKED}
    for bad, name in [
        ({"attribution": "lime"}, "attribution"),
        ({"private_rows": "maybe"}, "private_rows"),
        ({"n_steps": 0}, "n_steps"),
        ({"n_steps": 10_000}, "n_steps"),
    ]:
        with pytest.raises(ParameterError, match=name) as error:
            spec.parameters(bad)
        assert "\n" not in str(error.value)
    with pytest.raises(ParameterError, match="n_steps: enter a number"):
        spec.parameters({"n_steps": None}, from_form=True)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Two tiny trained zoo models of one coded data set: FinalMLP with a shared table of 16
    rows (collisions, private rows) and GDCN with a table per field."""
    data, _ = synthetic_ctr(n_rows=600, n_fields=6, seed=2, triples=(), main_fields=(5,))
    train, test = data.train_test_split(0.25, seed=0, stratify=True)
    workspace = Workspace.create(tmp_path_factory.mktemp("workspace"))
    workspace.add_dataset("tiny", test)
    for name, config in [("finalmlp", {"shared_buckets": 16}), ("gdcn", {})]:
        torch.manual_seed(0)
        module = build_model(name, train, embedding_dim=4, **config)
        train_ctr_model(module, train, TrainingConfig(max_epochs=2))
        adapter = wrap_model(module.eval(), task="classification", output="logit", device="cpu")
        workspace.add_model_object(f"tiny-{name}", adapter, "tiny", kind="zoo", train_rows=train)
    return workspace


def test_options_that_cannot_apply_say_why(tiny):
    from app.web.pages.embeddings_options import option_availability

    shared = option_availability(tiny, "tiny-finalmlp", "table")
    assert shared["private_rows"] is None and shared["attribution"] is None
    assert shared["compare_candidates"] == ["tiny-gdcn"] and shared["compare_with"] is None
    per_field = option_availability(tiny, "tiny-gdcn", "rows")
    assert "shared (hashed) embedding table" in per_field["private_rows"]
    assert "table map only" in per_field["attribution"]


@pytest.mark.slow
def test_asked_parts_appear_in_the_result_view_and_the_url(tiny):
    from app.web.pages.embeddings import layout, view_search
    from app.web.pages.embeddings_view import result_view

    parameters = analysis("embeddings").parameters(ASKED)
    report = compute_result(tiny, "embeddings", "tiny-finalmlp", parameters)

    variants = report.private_rows.variants.set_index("variant")
    assert {"shared", "all"} <= set(variants.index)
    assert variants.loc["all", "n_private_rows"] > 0  # 16 rows for 6 fields' levels collide
    same = report.comparison.same_field_cka()
    assert set(same["field"]) == set(tiny.dataset("tiny").feature_names)
    assert same["linear_cka"].between(0, 1).all()
    attribution = report.projection.coordinates["attribution:feature_ablation"]
    assert attribution.notna().all()

    view = str(result_view(report, "tiny", "tiny-finalmlp", parameters, {}))
    for shown in ("emb-private-rows", "emb-cka-models", "emb-attribution-reading"):
        assert shown in view
    assert "How to read this" in view

    search = view_search("tiny", "tiny-finalmlp", parameters, {})
    query = {name: values[0] for name, values in parse_qs(search.lstrip("?")).items()}
    assert {name: query[name] for name in ASKED} == {**ASKED, "private_rows": "on", "n_steps": "3"}
    # The URL's options come back into the form, and the stored result is shown from it.
    page = str(layout(tiny, **query))
    assert "emb-private-rows" in page and "No stored result" not in page
