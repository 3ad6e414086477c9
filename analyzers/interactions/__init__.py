"""Interaction scores of one model: permutation FIS, Friedman's H², SII / STII / k-SII, tree SHAP.

from analyzers.interactions import score_interactions
result = score_interactions(adapter, dataset, index="sii")
"""

from analyzers.interactions.score import score_interactions

__all__ = ["score_interactions"]
