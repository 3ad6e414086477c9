"""A CTR model written the way a user would, not from our zoo: no taps, no site names.

Three fields, one embedding table each; two gating layers share ONE ``nn.Sigmoid`` (as FuxiCTR's
GDCN shares its sigmoid), so its output is a different gate on each call: a module reused across
layers, the case captum's layer hooks cannot address.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from workbench.data import Dataset

N_FIELDS = 3


class Lookup(nn.Module):
    """(rows, fields) codes -> (rows, fields, dim) embeddings, one table per field."""

    def __init__(self, vocab_sizes, dim: int) -> None:
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(v, dim) for v in vocab_sizes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.stack([t(X[:, f].long()) for f, t in enumerate(self.tables)], dim=1)


class UserCtr(nn.Module):
    """logit = out(h_2), h_l = h_{l-1} * sigmoid(layers[l](h_{l-1})) per field (one gate per
    field per layer, (rows, fields)), through the one shared ``gate_sigmoid``."""

    def __init__(self, vocab_sizes=(3, 3, 3), dim: int = 2, n_layers: int = 2) -> None:
        super().__init__()
        width = len(vocab_sizes) * dim
        self.embed = Lookup(vocab_sizes, dim)
        self.layers = nn.ModuleList(nn.Linear(width, len(vocab_sizes)) for _ in range(n_layers))
        self.gate_sigmoid = nn.Sigmoid()
        self.unused = nn.Tanh()  # never called: a site here never fires
        self.out = nn.Linear(width, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        h = self.embed(X)  # (rows, fields, dim)
        for layer in self.layers:
            gate = self.gate_sigmoid(layer(h.flatten(1)))  # (rows, fields)
            h = h * gate.unsqueeze(-1)
        return self.out(h.flatten(1)).squeeze(1)

    def by_hand(self, X: torch.Tensor, gates: dict[int, torch.Tensor]) -> torch.Tensor:
        """The forward pass with layer l's gate replaced by ``gates[l]`` (rows, fields)."""
        h = self.embed(X)
        for index, layer in enumerate(self.layers):
            gate = gates.get(index, torch.sigmoid(layer(h.flatten(1))))
            h = h * gate.unsqueeze(-1)
        return self.out(h.flatten(1)).squeeze(1)


def user_frame(n_rows: int = 600, seed: int = 0) -> pd.DataFrame:
    """Three fields A, B, C with levels a, b, c and a 0/1 ``click`` that depends on A and B."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, size=(n_rows, N_FIELDS))
    logit = 1.5 * (codes[:, 0] == 2) - 1.5 * (codes[:, 1] == 0)
    y = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(np.array(["a", "b", "c"])[codes], columns=["A", "B", "C"])
    return frame.assign(click=y.astype(int))


def user_data(n_rows: int = 600, seed: int = 0) -> Dataset:
    """``user_frame`` as coded fields (a, b, c -> 0, 1, 2)."""
    return Dataset.from_frame(user_frame(n_rows, seed), "click", categorical="codes")


def user_model(seed: int = 0) -> UserCtr:
    """A seeded UserCtr whose first-layer gate of field A is constant (its weight row is 0)."""
    torch.manual_seed(seed)
    model = UserCtr()
    with torch.no_grad():
        model.layers[0].weight[0].zero_()
    return model.eval()
