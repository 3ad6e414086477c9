"""DeepCTR-Torch models (optional extra) trained on Adult and analysed through the generic path."""

import importlib.util
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

# Not importorskip: a plain import of deepctr_torch starts its network version check in this
# process; workbench.deepctr.import_deepctr() imports it without that.
if importlib.util.find_spec("deepctr_torch") is None:
    pytest.skip("deepctr-torch is not installed", allow_module_level=True)

from analyzers.gates import gate_statistics
from analyzers.interactions.score import score_interactions
from workbench.data import Dataset
from workbench.deepctr import (
    DEEPCTR_SITES,
    check_feature_index,
    import_deepctr,
    train_deepctr,
    wrap_deepctr,
)
from workbench.errors import DataError, ModelError, ParameterError
from workbench.sites import SiteSpec, discover_sites
from workbench.zoo.ctr_data import adult_fields

# Thread.start records instead of starting, and sockets refuse to connect, in a fresh
# interpreter (this one may have imported deepctr_torch already); the control shows that
# the probe sees the check.
IMPORT_PROBE = textwrap.dedent(
    """
    import socket, sys, threading
    started = []
    threading.Thread.start = lambda self: started.append(self)
    def refuse(*args, **kwargs):
        raise OSError("network used during import")
    socket.socket.connect = socket.socket.connect_ex = refuse  # a class still: ssl subclasses it
    if sys.argv[1] == "plain":
        import deepctr_torch
    else:
        from workbench.deepctr import import_deepctr
        import_deepctr().models.DCNMix
    print(len(started), "requests" in sys.modules)
    """
)


def _probe(mode: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, mode], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


@pytest.mark.slow  # two fresh interpreters import torch
def test_import_starts_no_thread_and_opens_no_socket():
    assert _probe("plain") == ["1", "True"]  # deepctr_torch's own import: the version thread
    assert _probe("ours") == ["0", "False"]  # no thread, and the undeclared requests unused


def test_import_without_the_package_is_one_line(monkeypatch):
    monkeypatch.delitem(sys.modules, "deepctr_torch", raising=False)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install 'workbench\[deepctr\]'"):
        import_deepctr()


FIELDS = ("age", "education", "marital-status", "occupation", "relationship", "race", "gender")
SMALL_DCNMIX = {"dnn_hidden_units": (16,), "low_rank": 8, "num_experts": 2}  # cross_num stays 2


@pytest.fixture(scope="module")
def adult():
    """Seven Adult fields (128 coalitions for exact SII), 1500 rows; "race" planted constant:
    the model cannot react to it, so its pairs score exactly 0 whatever it learned."""
    full = adult_fields().subset(range(1500))
    X = full.X[:, [full.feature_names.index(f) for f in FIELDS]].clone()  # (rows, fields)
    X[:, FIELDS.index("race")] = 0.0
    data = Dataset.from_arrays(X, full.y, feature_names=FIELDS, groups="columns",
                               target_name=full.target_name)  # fmt: skip
    return replace(data, code_levels={f: full.code_levels[f] for f in FIELDS})


@pytest.fixture(scope="module")
def dcnmix(adult):
    return train_deepctr("DCNMix", adult, epochs=3, model_kwargs=SMALL_DCNMIX)


@pytest.fixture(scope="module")
def fibinet(adult):
    kwargs = {"bilinear_type": "all", "dnn_hidden_units": (16,)}  # one bilinear Linear: fast
    return train_deepctr("FiBiNET", adult, epochs=3, model_kwargs=kwargs)


def _sii_by_pair(model, data):
    result = score_interactions(
        wrap_deepctr(model), data, "sii", rows=3, background=6, random_state=0
    )
    return result.global_scores().set_index("pair")["value"]


@pytest.mark.parametrize("name", ["dcnmix", "fibinet"])
def test_sii_runs_per_field_and_the_constant_field_scores_zero(name, adult, request):
    model = request.getfixturevalue(name)
    scores = _sii_by_pair(model, adult)
    assert len(scores) == 7 * 6 // 2 and scores.notna().all()
    with_race = scores[[("race" in pair.split(" × ")) for pair in scores.index]]
    assert len(with_race) == 6 and (with_race.abs() < 1e-6).all()
    assert scores.drop(with_race.index).abs().max() > 1e-4  # the other fields do interact


def test_senet_excitation_is_a_per_field_gate_site(fibinet, adult):
    found = {r["name"]: r for r in discover_sites(fibinet, adult.X[:16])}
    assert found["SE.excitation.3"]["width"] == 7  # one excitation weight per field
    site = SiteSpec("SE.excitation.3", **DEEPCTR_SITES["FiBiNET"]["SE.excitation.3"])
    stats = gate_statistics(wrap_deepctr(fibinet), adult, sites=[site]).per_field
    assert list(stats["field"]) == list(adult.feature_names)
    with torch.no_grad():  # by hand: A = excitation(mean over the embedding of each field)
        emb = torch.stack(
            [fibinet.embedding_dict[f](adult.X[:, j].long()) for j, f in
             enumerate(adult.feature_names)], dim=1,
        )  # fmt: skip
        expected = fibinet.SE.excitation(emb.mean(-1)).mean(0)  # (fields,)
    torch.testing.assert_close(
        torch.tensor(stats["mean"].to_numpy(), dtype=torch.float32), expected, rtol=1e-5, atol=1e-6
    )


def test_dcnmix_gating_is_one_site_per_cross_layer(dcnmix, adult):
    paths = {r["name"] for r in discover_sites(dcnmix, adult.X[:16])}
    assert {"crossnet.gating.0#0", "crossnet.gating.0#1"} <= paths  # cross_num=2 calls
    with pytest.raises(ParameterError, match=r"runs 2 time\(s\) per forward pass"):
        gate_statistics(dcnmix, adult, sites=["crossnet.gating.0#2"], site_kind="expert_gate")


def test_columns_that_do_not_follow_the_feature_index_are_one_line(dcnmix, adult):
    with pytest.raises(ModelError, match="no feature_index: not a DeepCTR-Torch model"):
        wrap_deepctr(torch.nn.Linear(7, 1))
    order = list(reversed(adult.feature_names))
    reordered = Dataset.from_frame(adult.to_frame()[[*order, adult.target_name]], "income")
    with pytest.raises(DataError, match="feature_index reads"):
        check_feature_index(dcnmix, reordered)


@pytest.fixture(scope="module")
def autoint(adult):
    kwargs = {"att_layer_num": 1, "att_head_num": 2, "dnn_hidden_units": ()}
    return train_deepctr("AutoInt", adult, epochs=1, model_kwargs=kwargs)


def test_autoint_softmax_site_gives_the_hand_attention_and_case_maps(autoint, adult):
    from analyzers.attention_maps import attention_maps
    from workbench.kernels.tap_edits import TapKernel
    from workbench.sites import parse_site

    text = "int_layers.0@softmax"
    found = {r["name"]: r for r in discover_sites(autoint, adult.X[:5])}
    assert (found[text]["rows_axis"], found[text]["width"]) == (1, 2 * 7 * 7)  # heads x F x F
    site = parse_site(text, **DEEPCTR_SITES["AutoInt"][text])
    read = TapKernel(wrap_deepctr(autoint), adult.X[:5]).capture([site])[text]
    maps = read.view(5, 2, 7, 7)  # (rows, heads, F, F): rows axis 1 of DeepCTR's output first
    layer = autoint.int_layers[0]
    with torch.no_grad():  # by hand on row 3: softmax_k(<e_m W_Q^h, e_k W_K^h>) per head h
        e = torch.stack(
            [
                autoint.embedding_dict[f](adult.X[3:4, j].long())[0]
                for j, f in enumerate(adult.feature_names)
            ]
        )  # (F, d) fmt: skip
        for h in range(2):
            cols = slice(h * 4, (h + 1) * 4)  # embedding_dim 8 over 2 heads
            q, k = e @ layer.W_Query[:, cols], e @ layer.W_key[:, cols]
            torch.testing.assert_close(maps[3, h], torch.softmax(q @ k.T, dim=-1))
    torch.testing.assert_close(maps.sum(-1), torch.ones(5, 2, 7))
    # the analyzer takes the site as text and finds DeepCTR's rows axis by itself
    result = attention_maps(wrap_deepctr(autoint), adult, rows=[3], sites=[text], sample=50)
    np.testing.assert_allclose(
        result.matrix(text, 1, row=3), maps[3, 1].double().numpy(), atol=1e-6
    )
    assert result.case_values(3)["race"] == adult.code_levels["race"][0]


def test_afm_attention_over_pairs_is_a_symmetric_map(adult):
    from analyzers.attention_maps import attention_maps

    afm = train_deepctr("AFM", adult.subset(range(300)), epochs=1)
    result = attention_maps(wrap_deepctr(afm), adult, rows=[0], sites=["fm@softmax"], sample=20)
    case = result.matrix("fm@softmax", 0, row=0)  # (F, F), NaN diagonal
    assert result.layouts["fm@softmax"] == "pairs"
    assert abs(np.nansum(np.triu(case)) - 1) < 1e-5 and np.allclose(case, case.T, equal_nan=True)


def test_embedding_site_reads_each_fields_table_row_and_the_geometry_uses_the_tables(
    fibinet, adult
):
    from analyzers.embeddings import analyze_embeddings
    from analyzers.embeddings.geometry import field_geometry
    from workbench.deepctr import DEEPCTR_EMBEDDING_SITE
    from workbench.kernels.tap_edits import TapKernel
    from workbench.sites import measure_sites, parse_site

    adapter = wrap_deepctr(fibinet)
    [site] = measure_sites(
        fibinet, [parse_site(DEEPCTR_EMBEDDING_SITE, "embedding")],
        lambda: fibinet(adult.X[:4]), 7, adult.feature_names,
    )  # fmt: skip
    read = TapKernel(adapter, adult.X[:20]).capture([site])[site.name]  # (rows, 7 * 8)
    for row in (0, 13):
        for f, name in enumerate(adult.feature_names):  # by hand: the field's table row
            code = int(adult.X[row, f])
            expected = fibinet.embedding_dict[name].weight[code]
            assert torch.equal(read[row, f * 8 : (f + 1) * 8], expected.detach())
    report = analyze_embeddings(
        adapter, adult, embedding_site=DEEPCTR_EMBEDDING_SITE, projection=None, max_rows=200
    )
    weights = {f: fibinet.embedding_dict[f].weight.detach() for f in adult.feature_names}
    counts = {
        f: np.bincount(adult.X[:, j].long().numpy(), minlength=len(weights[f]))
        for j, f in enumerate(adult.feature_names)
    }
    expected = field_geometry(weights, counts=counts).to_frame()
    got = report.geometry.to_frame()
    assert list(got["field"].unique()) == list(adult.feature_names)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-6)
    # read only: an attribution at the stacked site needs a replacement, refused in one line
    from analyzers.gate_attributions import gate_attributions

    with pytest.raises(ParameterError, match="can be read, not replaced"):
        gate_attributions(adapter, adult.subset(range(6)), sites=[],
                          embedding=DEEPCTR_EMBEDDING_SITE, n_steps=2)  # fmt: skip


def _intrinsic(model, data, site):
    """Sources of ``site`` beside SII on 4 seeded rows, and those rows' positions."""
    from analyzers.gate_common import sample_rows
    from analyzers.intrinsic_interactions import intrinsic_interactions

    result = intrinsic_interactions(
        wrap_deepctr(model), data, rows=4, background=4, attention_sites=[site]
    )
    positions = sample_rows(data.n_rows, 4, 0)  # the rows intrinsic_interactions explains
    return result, torch.as_tensor(positions)


def _source(result, source):
    part = result.pairs[result.pairs["source"] == source]
    return part.set_index("pair")["intrinsic"]


def test_deepctr_autoint_sources_are_the_mean_attention_of_its_softmax(autoint, adult):
    result, positions = _intrinsic(autoint, adult, "int_layers.0@softmax")
    with torch.no_grad():  # by hand: the scores DeepCTR keeps on the layer, (heads, rows, F, F)
        autoint(adult.X[positions])
        mean = autoint.int_layers[0].normalized_att_scores.double().mean(1)  # (heads, F, F)
    for h in range(2):
        source = _source(result, f"int_layers.0@softmax head{h}")
        for i, j in [(0, 1), (2, 6), (4, 5)]:
            pair = f"{FIELDS[i]} × {FIELDS[j]}"
            expected = (mean[h, i, j] + mean[h, j, i]) / 2  # α_ij and α_ji averaged
            assert source[pair] == pytest.approx(float(expected), rel=1e-5)
    agreement = result.agreement.set_index("source")
    assert list(agreement.index) == [
        "int_layers.0@softmax head0",
        "int_layers.0@softmax head1",
        "attention (mean of layers and heads)",
    ]
    assert agreement["n_pairs"].eq(21).all() and agreement["spearman"].between(-1, 1).all()


def test_afm_pair_weights_land_on_their_field_pairs(adult):
    from workbench.deepctr import build

    afm = build(adult, "AFM")
    with torch.no_grad():  # DeepCTR starts embeddings at std 1e-4: near-uniform attention
        generator = torch.Generator().manual_seed(0)
        for table in afm.embedding_dict.values():
            table.weight.copy_(torch.randn(table.weight.shape, generator=generator))
    result, positions = _intrinsic(afm, adult, "fm@softmax")
    source = _source(result, "fm@softmax")
    assert list(result.agreement["source"]) == ["fm@softmax"]  # one map over pairs, no mean
    with torch.no_grad():  # AFMLayer by hand: softmax over pairs of h·relu(W(e_i ⊙ e_j) + b)
        X = adult.X[positions].long()
        e = {f: afm.embedding_dict[f](X[:, j]) for j, f in enumerate(FIELDS)}  # (rows, d)
        layer = afm.fm
        scores = {
            (a, b): torch.relu((e[a] * e[b]) @ layer.attention_W + layer.attention_b)
            @ layer.projection_h
            for ia, a in enumerate(FIELDS)
            for b in FIELDS[ia + 1 :]
        }  # (rows, 1) per field pair
        weights = torch.softmax(torch.cat(list(scores.values()), dim=1), dim=1)
        by_pair = dict(zip(scores, weights.double().mean(0), strict=True))
    assert source.max() - source.min() > 1e-3  # the pairs differ: a wrong mapping shows
    for a, b in [("education", "relationship"), ("age", "gender"), ("occupation", "race")]:
        assert source[f"{a} × {b}"] == pytest.approx(float(by_pair[a, b]), rel=1e-5)
    assert source.sum() == pytest.approx(1.0, rel=1e-5)  # each row's pairs sum to 1
