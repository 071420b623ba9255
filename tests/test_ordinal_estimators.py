"""PrestoOrdinal, PrestoOrdinalCV and ProportionalOdds as scikit-learn estimators."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from distilkit.ordinal import PrestoOrdinal, PrestoOrdinalCV, ProportionalOdds


@parametrize_with_checks(
    [ProportionalOdds(), PrestoOrdinal(), PrestoOrdinal(lam=0.0, crossing="clip"),
     PrestoOrdinal(penalize_first=False, l1_ratio=0.5), PrestoOrdinalCV(n_lambdas=5, cv=3, random_state=0)],
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
