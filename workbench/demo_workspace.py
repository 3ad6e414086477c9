"""The demo workspace: sample data sets and models, with the CTR zoo's weights shipped."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.manifest_entries import DataEntry, ModelEntry

if TYPE_CHECKING:
    from workbench.workspace import Workspace


#: trained weights of the demo's CTR models, copied into a new demo workspace's zoo cache so the
#: demo does not train them on first use (they are retrained if the code's cache key changed)
DEMO_ZOO_WEIGHTS = "zoo"
DEMO_ZOO_MODELS = ("finalmlp", "gdcn", "autoint", "fcn")


def demo_workspace(root: str | Path) -> Workspace:
    """The demo: COMPAS (7 one-hot groups) with the logistic, MLP and boosted-tree sample models,
    and UCI Adult (14 coded fields) with the FinalMLP, GDCN, AutoInt and FCN models of the CTR
    zoo."""
    from workbench.samples import SAMPLE_DATA_DIR, sample_data_path
    from workbench.workspace import Workspace  # here: workbench.workspace re-exports this module

    workspace = Workspace.create(root)
    shipped = SAMPLE_DATA_DIR / DEMO_ZOO_WEIGHTS
    if shipped.is_dir():
        cache = workspace.root / "zoo"
        cache.mkdir(exist_ok=True)
        for weights in shipped.iterdir():
            if not (cache / weights.name).exists():
                shutil.copyfile(weights, cache / weights.name)
    if "compas" not in workspace.data_names:
        workspace.add_data(
            DataEntry(
                name="compas",
                path=str(sample_data_path("compas.csv")),
                target="Recidivate-Within-Two-Years",
                groups="prefix",
                description="COMPAS recidivism (binarized, the FISC paper's data), 7 groups",
            )
        )
    for sample in ("logistic", "mlp", "gbt"):
        name = f"compas-{sample}"
        if name not in workspace.model_names():
            workspace.add_model(ModelEntry(name=name, data="compas", kind="sample", sample=sample))
    if "adult" not in workspace.data_names:
        workspace.add_data(
            DataEntry(
                name="adult",
                path=str(sample_data_path("adult.csv.gz")),
                target="income",
                coding="adult",
                description="UCI Adult census income, 14 coded fields (numeric ones bucketised)",
            )
        )
    for zoo_model in DEMO_ZOO_MODELS:
        name = f"adult-{zoo_model}"
        if name not in workspace.model_names():
            workspace.add_model(ModelEntry(name=name, data="adult", kind="zoo", sample=zoo_model))
    return workspace
