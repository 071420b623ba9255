"""torch modules of the neural estimators (imported only when a net is built)."""

import torch
from torch import nn


def softmax_rows(logits):
    """skorch ``predict_nonlinearity``: logits to class probabilities (picklable)."""
    return torch.softmax(logits, dim=-1)


def normalized_sigmoids(logits):
    """skorch ``predict_nonlinearity`` for one-vs-rest sigmoid outputs: rows scaled to sum to 1.

    ``sigmoid(z) / sum(sigmoid(z))`` is a softmax of ``log sigmoid(z)``, computed that way so
    that rows whose logits are all below about -104 (every sigmoid underflows to 0) do not
    become 0/0.
    """
    return torch.softmax(nn.functional.logsigmoid(logits), dim=-1)


class AnyLossNetwork(nn.Module):
    """The AnyLoss paper's nets: ``()`` is a single layer; ``(h, ...)`` adds Linear-BatchNorm-sigmoid blocks.

    Binary problems get one output unit ``z`` returned as logits ``[0, z]``, so the
    positive-class probability is ``sigmoid(z)`` as in the paper while skorch still
    sees two classes.
    """

    def __init__(self, n_features, n_classes, hidden_layer_sizes=()):
        super().__init__()
        layers, width = [], n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.Sigmoid()]
            width = size
        self.binary = n_classes == 2
        layers.append(nn.Linear(width, 1 if self.binary else n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        out = self.layers(X)
        return nn.functional.pad(out, (1, 0)) if self.binary else out


class StudentMLP(nn.Module):
    """ReLU MLP (``()`` = linear) with ``n_outputs`` logits, optionally after a static embedding.

    With ``embedding_dim``, the first layer is a ``(n_features, embedding_dim)`` matrix with
    no bias or activation: a row of token weights becomes the weighted mean of its tokens'
    vectors; its gradient is sparse (only the batch's tokens' rows), for
    ``torch.optim.SparseAdam``. Sparse batches go through the first layer as a sparse
    product (cost per non-zero, not per vocabulary entry or TF-IDF column).
    """

    def __init__(self, n_features, n_outputs, hidden_layer_sizes=(128,), embedding_dim=None):
        super().__init__()
        layers, width = [], n_features
        self.embedding = None
        if embedding_dim is not None:
            self.embedding = nn.Parameter(torch.randn(n_features, embedding_dim) / n_features ** 0.5)
            width = embedding_dim
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        if self.embedding is not None:
            X = self._embedded(X if X.is_sparse else X.to_sparse())
        elif X.is_sparse:
            # The first layer as a sparse product: its cost follows the non-zeros, not the width of X.
            first = self.layers[0]
            return self.layers[1:](torch.sparse.mm(X, first.weight.T) + first.bias)
        return self.layers(X)

    def _embedded(self, X):
        """``X @ embedding`` through the rows of the batch's tokens only, so their gradient is sparse.

        A dense gradient of the whole (vocabulary x width) matrix, and an optimizer step over
        all of it, cost most of a static student's fit when a batch holds a few thousand tokens.
        """
        X = X.coalesce()
        rows, columns = X.indices()
        tokens, local = torch.unique(columns, return_inverse=True)
        vectors = nn.functional.embedding(tokens, self.embedding, sparse=True)
        local_X = torch.sparse_coo_tensor(torch.stack([rows, local]), X.values(), (X.shape[0], len(tokens)),
                                          is_coalesced=True, check_invariants=False)
        return torch.sparse.mm(local_X, vectors)
