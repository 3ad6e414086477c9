"""Gate analyses on sites named by module path: the zoo gives the numbers of its taps, and a
user's own model (tests/user_ctr.py) is analysed with no change to its code."""

import pytest
import torch
from captum.attr import LayerConductance

from analyzers.gate_attributions import gate_attributions, mode_baseline
from analyzers.gates import analyze_gates, gate_ablation, gate_statistics
from tests.user_ctr import user_data, user_model
from workbench.errors import ParameterError
from workbench.sites import SiteSpec
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr

ZOO_PATHS = ["taps.cross0_gate", "taps.cross1_gate"]


@pytest.fixture(scope="module")
def gdcn():
    data = synthetic_ctr(n_rows=300, n_fields=4, seed=1, triples=(), main_fields=(3,))[0]
    torch.manual_seed(0)
    return data, build_model("gdcn", data, embedding_dim=3, n_cross=2, hidden=[8]).eval()


def _by_name(frame, path_of):
    return frame.assign(site=frame["site"].map(lambda s: path_of.get(s, s)))


def test_zoo_by_module_path_gives_the_numbers_of_its_taps(gdcn):
    data, model = gdcn
    names = ["cross0_gate", "cross1_gate"]
    path_of = dict(zip(ZOO_PATHS, names, strict=True))
    stats = gate_statistics(model, data, sites=ZOO_PATHS, device="cpu").per_field
    assert _by_name(stats, path_of).equals(gate_statistics(model, data, sites=names).per_field)
    # Independent reference: the tap's output read by a plain hook, field 0's columns.
    seen = []
    handle = model.taps["cross1_gate"].register_forward_hook(lambda _m, _i, o: seen.append(o))
    with torch.no_grad():
        model(data.X)
    handle.remove()
    first_field = seen[0][:, model.field_slices()[0]].mean(1).double()
    row = stats.query("site == 'taps.cross1_gate'").iloc[0]
    assert row["mean"] == float(first_field.mean()) and row["std"] == float(first_field.std())

    kwargs = {"n_bootstrap": 20, "device": "cpu"}
    effects = gate_ablation(model, data, sites=ZOO_PATHS, **kwargs).effects
    by_tap = gate_ablation(model, data, sites=names, **kwargs).effects
    assert _by_name(effects, path_of).equals(by_tap)
    attributions = gate_attributions(model, data, sites=ZOO_PATHS, rows=30, n_steps=8)
    by_tap = gate_attributions(model, data, sites=names, rows=30, n_steps=8).per_field
    assert _by_name(attributions.per_field, path_of).equals(by_tap)
    # Independent reference: captum on the zoo's head and its tap, as before sites existed.
    X = data.X[torch.from_numpy(_sample(data, 30))]
    base = mode_baseline(data.X).expand_as(X).long()
    conductance = LayerConductance(model.head, model.taps["cross0_gate"]).attribute(
        model.embedding(X.long()).detach(),
        baselines=model.embedding(base).detach(),
        n_steps=8,
    )  # (rows, width)
    per_field = conductance.detach()[:, model.field_slices()[1]].sum(1).double().abs().mean()
    ours = attributions.per_field.query(
        "method == 'layer_conductance' and site == 'taps.cross0_gate'"
    ).iloc[1]
    assert ours["mean_abs_attribution"] == float(per_field)


def _sample(data, rows):
    from analyzers.gate_common import sample_rows

    return sample_rows(data.n_rows, rows, 0)


def test_mean_ablation_of_a_constant_gate_changes_the_loss_by_zero():
    data, model = user_data(), user_model()
    sites = ["gate_sigmoid#0", "gate_sigmoid#1"]
    result = gate_ablation(model, data, sites=sites, n_bootstrap=20, modes=("mean",))
    effects = result.effects.set_index(["site", "field"])["loss_increase"]
    assert effects[("gate_sigmoid#0", "A")] == 0  # A's first-layer gate is constant
    assert abs(effects[("gate_sigmoid#0", "B")]) > 1e-4  # B's is not
    assert abs(effects[("gate_sigmoid#1", "A")]) > 1e-4  # nor is A's second-layer gate
    stats = gate_statistics(model, data, sites=sites).per_field.set_index(["site", "field"])
    assert stats.loc[("gate_sigmoid#0", "A"), "std"] == 0
    assert stats.loc[("gate_sigmoid#0", "B"), "std"] > 0


def test_a_user_model_goes_through_the_whole_gate_report():
    data, model = user_data(n_rows=200), user_model()
    sites = [SiteSpec("gate_sigmoid", call=1, label="layer 2 gate"), "gate_sigmoid#0"]
    report = analyze_gates(
        model, data, sites=sites, embedding="embed", attribution_rows=20, n_bootstrap=20,
        n_permutations=2,
    )  # fmt: skip
    assert report.statistics.sites == ("layer 2 gate", "gate_sigmoid#0")
    assert report.statistics.field_names == ("A", "B", "C")
    assert set(report.statistics.per_level["site"]) == {"layer 2 gate", "gate_sigmoid#0"}
    methods = set(report.attributions.per_field["method"])
    assert {"feature_ablation", "integrated_gradients", "layer_conductance"} <= methods
    pairs = {frozenset(p) for p in report.interactions[["field_1", "field_2"]].to_numpy()}
    assert pairs == {frozenset(p) for p in (("A", "B"), ("A", "C"), ("B", "C"))}
    gap = report.attributions.completeness.iloc[0]
    assert gap["max_abs_gap"] < 0.05 * max(gap["mean_abs_output_change"], 1e-3)


def test_wrong_sites_fail_in_one_line_before_any_stage():
    data, model = user_data(n_rows=50), user_model()
    with pytest.raises(ParameterError, match="closest: gate_sigmoid"):
        analyze_gates(model, data, sites=["gate_sigmoi"])
    with pytest.raises(ParameterError, match="never runs"):
        gate_statistics(model, data, sites=["unused"])
    with pytest.raises(ParameterError, match="call #5 asked"):
        gate_ablation(model, data, sites=["gate_sigmoid#5"])


def test_embeddings_by_site_read_a_user_model_and_match_the_zoo(gdcn):
    from analyzers.embeddings import analyze_embeddings, extract_embeddings

    data, model = user_data(n_rows=300), user_model()
    extracted = extract_embeddings(model, data, embedding_site="embed", max_rows=100)
    for f, table in enumerate(model.embed.tables):
        torch.testing.assert_close(extracted.tables[f], table.weight.detach())  # every level seen
    assert extracted.row_embeddings[1].shape == (100, 2)
    report = analyze_embeddings(model, data, embedding_site="embed", projection=None)
    assert set(report.geometry.to_frame()["field"]) == {"A", "B", "C"}
    # The zoo read by path gives what its FieldEmbedding gives.
    zoo_data, zoo = gdcn
    by_table = extract_embeddings(zoo, zoo_data, max_rows=50)
    by_path = extract_embeddings(zoo, zoo_data, embedding_site="embedding", max_rows=50)
    for f in range(4):
        torch.testing.assert_close(by_path.row_embeddings[f], by_table.row_embeddings[f])
        seen = torch.from_numpy(by_table.counts[f] > 0)
        torch.testing.assert_close(by_path.tables[f][seen], by_table.tables[f][seen])
    assert torch.equal(by_path.codes, by_table.codes)


def test_a_dense_input_model_is_attributed_on_its_input():
    import numpy as np
    import pandas as pd

    from workbench.data import Dataset

    class DenseGated(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gate = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Sigmoid())
            self.out = torch.nn.Linear(3, 1)

        def forward(self, X):
            return self.out(X * self.gate(X)).squeeze(1)

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["x", "y", "z"])
    data = Dataset.from_frame(frame.assign(t=(frame["x"] > 0).astype(int)), "t")
    torch.manual_seed(0)
    model = DenseGated().eval()
    with torch.no_grad():
        model.out.weight[0, 2] = 0  # z never reaches the output: its gate gets nothing
    result = gate_attributions(model, data, sites=["gate.1"], rows=50, n_steps=16)
    conductance = result.per_field.query("method == 'layer_conductance'").set_index("field")
    assert conductance.loc["z", "mean_abs_attribution"] == 0
    assert conductance.loc["x", "mean_abs_attribution"] > 0
    assert result.completeness.empty  # no embedding: no integrated gradients on one
