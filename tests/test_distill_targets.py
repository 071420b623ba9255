import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import softmax

from distilkit.estimators.distill.targets import (
    class_subspaces,
    head_row_space,
    project_null_space,
    pseudo_subclass_targets,
    random_rotation,
    subclass_coordinates,
)

logit_values = st.floats(-30, 30, allow_nan=False)


def teacher_problem(seed, n=60, d=12, c=3):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(c, d))
    H = rng.normal(size=(n, d)) * rng.uniform(0.2, 3.0, d)
    logits = H @ W.T
    return rng, W, H, logits, logits.argmax(1)


@settings(max_examples=80, deadline=None)
@given(
    logits=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 4)), elements=logit_values),
    s=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    tau=st.floats(0.25, 8.0),
    beta=st.floats(0.05, 8.0),
)
def test_targets_are_distributions_that_sum_to_the_kd_target(logits, s, seed, tau, beta):
    z = np.random.default_rng(seed).normal(scale=5.0, size=(*logits.shape, s))
    targets = pseudo_subclass_targets(logits, z, temperature=tau, subclass_temperature=beta)
    assert targets.shape == (len(logits), logits.shape[1] * s)
    assert (targets >= 0).all()
    np.testing.assert_allclose(targets.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(targets.reshape(*logits.shape, s).sum(-1), softmax(logits / tau, axis=1), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(logits=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 4)), elements=logit_values),
       tau=st.floats(0.25, 8.0))
def test_one_subclass_is_vanilla_kd(logits, tau):
    z = np.random.default_rng(0).normal(size=(*logits.shape, 1))
    np.testing.assert_allclose(pseudo_subclass_targets(logits, z, temperature=tau), softmax(logits / tau, axis=1),
                               atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), s=st.integers(1, 5), rotate=st.booleans())
def test_null_space_directions_are_orthonormal_and_invisible_to_the_head(seed, s, rotate):
    rng, W, H, _, groups = teacher_problem(seed)
    basis = head_row_space(W)
    means, directions = class_subspaces(H, groups, 3, s, row_basis=basis, rotate=rotate, rng=rng)
    for c in range(3):
        V = directions[c]
        np.testing.assert_allclose(V.T @ V, np.eye(s), atol=1e-10)
        np.testing.assert_allclose(W @ V, 0.0, atol=1e-9)
    np.testing.assert_allclose(W @ project_null_space(H, basis).T, 0.0, atol=1e-9)


def test_without_rotation_the_directions_are_the_class_principal_components():
    rng, W, H, _, groups = teacher_problem(1, n=400)
    means, directions = class_subspaces(H, groups, 3, 2, rotate=False)
    for c in range(3):
        rows = H[groups == c]
        _, _, vt = np.linalg.svd(rows - rows.mean(0), full_matrices=False)
        np.testing.assert_allclose(np.abs(directions[c].T @ vt[:2].T), np.eye(2), atol=1e-8)
        np.testing.assert_allclose(means[c], rows.mean(0))


def test_rotation_is_orthogonal_and_seeded():
    q = random_rotation(5, np.random.default_rng(3))
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    np.testing.assert_array_equal(q, random_rotation(5, np.random.default_rng(3)))


def test_coordinates_centre_on_class_means_and_ignore_the_head_directions():
    rng, W, H, _, groups = teacher_problem(2, n=300)
    basis = head_row_space(W)
    means, directions = class_subspaces(H, groups, 3, 3, row_basis=basis, rng=rng)
    z = subclass_coordinates(H, means, directions)
    for c in range(3):
        np.testing.assert_allclose(z[groups == c, c].mean(0), 0.0, atol=1e-9)
    # Moving a row along the head's row space changes the logits but not its subclass split.
    shifted = H + 5.0 * basis[0]
    np.testing.assert_allclose(subclass_coordinates(shifted, means, directions), z, atol=1e-9)
    uncentred = subclass_coordinates(H, means, directions, center=False)
    np.testing.assert_allclose(uncentred - z, np.broadcast_to(np.einsum("cd,cds->cs", means, directions), z.shape))


def test_errors_name_the_problem():
    rng, W, H, _, groups = teacher_problem(0, d=4, c=3)
    with pytest.raises(ValueError, match="exceeds the 1 embedding dimensions"):
        class_subspaces(H, groups, 3, 2, row_basis=head_row_space(W), rng=rng)
    with pytest.raises(ValueError, match="class index 3 has no rows"):
        class_subspaces(H, groups, 4, 1, rng=rng)


def test_float32_embeddings_give_the_float64_subspaces():
    rng, W, H, logits, groups = teacher_problem(5, n=500, d=16)
    basis = head_row_space(W)
    m64, v64 = class_subspaces(H, groups, 3, 2, row_basis=basis, rotate=False)
    m32, v32 = class_subspaces(H.astype(np.float32), groups, 3, 2, row_basis=basis, rotate=False)
    np.testing.assert_allclose(m32, m64, atol=1e-5)
    for c in range(3):
        np.testing.assert_allclose(np.abs(v32[c].T @ v64[c]), np.eye(2), atol=1e-4)
    z64 = subclass_coordinates(H, m64, v64)
    z32 = subclass_coordinates(H.astype(np.float32), m64, v64)
    assert z32.dtype == np.float64
    np.testing.assert_allclose(z32, z64, atol=1e-4)
