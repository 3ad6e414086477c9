"""Interaction scores of one model: permutation FIS, Friedman's H², SII / STII / k-SII, tree SHAP;
screen-then-refine for many groups.

from analyzers.interactions import score_interactions
result = score_interactions(adapter, dataset, index="sii")
"""

from analyzers.interactions.score import score_interactions
from analyzers.interactions.screen_refine import screen_and_refine

__all__ = ["score_interactions", "screen_and_refine"]
