import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    recall_score,
)

from distilkit.estimators.anyloss.loss import (
    METRICS,
    AnyLoss,
    amplify,
    soft_confusion_matrix,
    soft_metric,
)


def logits_for(p):
    """Two-column logits whose softmax puts probability p on class 1."""
    p = torch.as_tensor(p, dtype=torch.float64)
    return torch.stack([torch.zeros_like(p), torch.logit(p)], dim=1)


def gmean_score(y, pred):
    return np.sqrt(recall_score(y, pred) * recall_score(1 - y, 1 - pred))


HARD = {
    "accuracy": accuracy_score,
    "f1": f1_score,
    "fbeta": lambda y, p: fbeta_score(y, p, beta=2.0),
    "gmean": gmean_score,
    "balanced_accuracy": balanced_accuracy_score,
    "mcc": matthews_corrcoef,
}


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_soft_metric_converges_to_sklearn_hard_metric(metric):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    # Probabilities bounded away from 0.5, as in the paper's argument.
    p = np.clip(rng.uniform(0, 1, 200), 0, 1)
    p = np.where(np.abs(p - 0.5) < 0.05, p + 0.1, p).clip(0.0, 1.0)
    hard = HARD[metric](y, (p >= 0.5).astype(int))
    loss = AnyLoss(metric=metric, beta=2.0, amplifier=1000.0, eps=1e-12)
    soft = 1 - loss(logits_for(p), torch.as_tensor(y)).item()
    assert soft == pytest.approx(hard, abs=1e-3)


@pytest.mark.parametrize("metric", sorted(METRICS))
@pytest.mark.parametrize("amplifier", [1.0, 73.0, 1000.0])
def test_gradients_finite_at_saturated_probabilities(metric, amplifier):
    z = torch.tensor([-1e4, 1e4, -1e4, 1e4, 0.0], requires_grad=True)
    logits = torch.stack([torch.zeros_like(z), z], dim=1)
    AnyLoss(metric=metric, amplifier=amplifier)(logits, torch.tensor([0, 1, 1, 0, 1])).backward()
    assert torch.isfinite(z.grad).all()


@pytest.mark.parametrize("metric", sorted(METRICS))
@pytest.mark.parametrize("label", [0, 1])
def test_single_class_batch_gives_finite_loss_and_gradient(metric, label):
    z = torch.randn(8, requires_grad=True)
    logits = torch.stack([torch.zeros_like(z), z], dim=1)
    value = AnyLoss(metric=metric)(logits, torch.full((8,), label))
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(z.grad).all()


def test_multiclass_is_macro_average_of_one_vs_rest():
    torch.manual_seed(0)
    logits = torch.randn(30, 3)
    y = torch.randint(0, 3, (30,))
    proba = torch.sigmoid(logits)
    per_class = []
    for k in range(3):
        counts = soft_confusion_matrix((y == k).double(), amplify(proba[:, k].double(), 73.0))
        per_class.append(soft_metric("f1", *counts).item())
    value = AnyLoss(metric="f1")(logits.double(), y).item()
    assert value == pytest.approx(1 - np.mean(per_class), abs=1e-6)


def test_callable_metric_and_fbeta_reduces_to_f1():
    p = torch.tensor([0.9, 0.2, 0.7, 0.4], dtype=torch.float64)
    y = torch.tensor([1, 0, 0, 1])
    recall = AnyLoss(metric=lambda tp, fn, fp, tn: tp / (tp + fn))(logits_for(p), y)
    assert 0 < recall.item() < 1
    f1 = AnyLoss(metric="f1")(logits_for(p), y)
    fbeta1 = AnyLoss(metric="fbeta", beta=1.0)(logits_for(p), y)
    assert f1.item() == pytest.approx(fbeta1.item())


@settings(max_examples=80, deadline=None)
@given(
    p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=40),
    seed=st.integers(0, 1000),
    metric=st.sampled_from(["accuracy", "f1", "gmean", "balanced_accuracy"]),
    amplifier=st.floats(0.5, 200.0),
)
def test_soft_counts_partition_the_batch_and_metric_is_a_rate(p, seed, metric, amplifier):
    y = torch.as_tensor(np.random.default_rng(seed).integers(0, 2, len(p)))
    soft = amplify(torch.tensor(p, dtype=torch.float64), amplifier)
    tp, fn, fp, tn = soft_confusion_matrix(y, soft)
    assert (tp + fn + fp + tn).item() == pytest.approx(len(p))
    assert (tp + fn).item() == pytest.approx(float(y.sum()))
    value = soft_metric(metric, tp, fn, fp, tn).item()
    assert -1e-6 <= value <= 1 + 1e-6
