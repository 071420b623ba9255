"""From a raw table to features: column roles, the typing step, the encoders of each role, the featurizer."""

from distilkit.features.featurizer import (
    ESTIMATOR_STEP,
    FEATURES_STEP,
    TABLE_STEP,
    estimator_params,
    final_estimator,
    make_featurizer,
    make_model,
)
from distilkit.features.roles import (
    INPUT_ROLES,
    STRING_ROLES,
    ColumnRole,
    infer_roles,
    model_columns,
    summarize_roles,
)
from distilkit.features.table import TableColumns, typed_columns
from distilkit.features.transformers import (
    CategoryStrings,
    DatetimeFeatures,
    TextColumn,
)

__all__ = [
    "CategoryStrings",
    "ColumnRole",
    "DatetimeFeatures",
    "ESTIMATOR_STEP",
    "FEATURES_STEP",
    "INPUT_ROLES",
    "STRING_ROLES",
    "TABLE_STEP",
    "TableColumns",
    "TextColumn",
    "estimator_params",
    "final_estimator",
    "infer_roles",
    "make_featurizer",
    "make_model",
    "model_columns",
    "summarize_roles",
    "typed_columns",
]
