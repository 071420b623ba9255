"""scikit-learn's estimator checks for every distilkit estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from distilkit import NaiveBayesHead
from distilkit.encoders import SentenceEncoder
from distilkit.estimators.anyloss.classifier import AnyLossClassifier

ESTIMATORS = [
    NaiveBayesHead(),
    NaiveBayesHead(scaler="minmax", smoothing="relative"),
    AnyLossClassifier(metric="f1", amplifier=30.0, max_epochs=20, random_state=0),
    AnyLossClassifier(metric="gmean", hidden_layer_sizes=(8,), max_epochs=20, random_state=0),
    AnyLossClassifier(loss="bce", max_epochs=100, random_state=0),
    SentenceEncoder(),  # takes texts: its tags leave sklearn only the checks that apply to text input
]


def expected_failed_checks(estimator):
    if isinstance(estimator, AnyLossClassifier) and estimator.loss == "anyloss":
        return {
            "check_class_weight_classifiers": "class_weight weights the BCE baseline (loss='bce', checked "
            "separately); an AnyLoss metric sets its own trade-off between the classes",
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
