"""Rashomon sets as lists of models, any interaction index over them, and their consensus.

from analyzers.model_sets import RetrainedSetBuilder, explore_model_set
result = explore_model_set(RetrainedSetBuilder(estimator, train, seeds=range(5)), test)
"""

from analyzers.model_sets.builders import FittedSetBuilder, RetrainedSetBuilder
from analyzers.model_sets.dropout import DropoutSetBuilder
from analyzers.model_sets.explore import explore_model_set
from analyzers.model_sets.masks import MaskSetBuilder
from analyzers.model_sets.model_set import (
    ModelSet,
    ModelSetMember,
    RashomonSetBuilder,
    assemble_set,
    flag_members,
)
from analyzers.model_sets.result import ModelSetResult

__all__ = [
    "DropoutSetBuilder",
    "FittedSetBuilder",
    "MaskSetBuilder",
    "ModelSet",
    "ModelSetMember",
    "ModelSetResult",
    "RashomonSetBuilder",
    "RetrainedSetBuilder",
    "assemble_set",
    "explore_model_set",
    "flag_members",
]
