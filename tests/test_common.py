"""scikit-learn's estimator checks for every distilkit estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from distilkit import NaiveBayesHead

ESTIMATORS = [NaiveBayesHead(), NaiveBayesHead(scaler="minmax", smoothing="relative")]


def expected_failed_checks(estimator):
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
