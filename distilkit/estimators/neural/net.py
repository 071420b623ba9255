"""A skorch ``NeuralNet`` whose loaders fetch a whole mini-batch with one index array."""

import numpy as np
import torch
from scipy import sparse
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch.utils.data import Dataset

from distilkit.estimators.neural.batching import BatchIndexSampler
from distilkit.progress import report_progress


class EpochProgress(Callback):
    """Reports finished epochs to :func:`distilkit.progress.report_progress`."""

    def on_epoch_end(self, net, **kwargs):
        report_progress(len(net.history), net.max_epochs, "epochs")


class TensorBatchDataset(Dataset):
    """Arrays held as tensors once; ``dataset[index_array]`` returns a whole batch.

    skorch's own ``Dataset`` indexes through sklearn's ``_safe_indexing``, which
    inspects every element of the index in Python -- most of the training time of a
    small network.
    """

    def __init__(self, X, y=None):
        # A sparse matrix stays scipy CSR (rows are sliced per batch); dense arrays become one tensor.
        # Writable arrays: torch cannot wrap read-only memory (e.g. memmapped inputs).
        if sparse.issparse(X):
            X = X.astype(np.float32).tocsr()
            # Canonical (sorted, no duplicates): the batches' COO tensors are then coalesced, as they claim.
            X.sum_duplicates()
        self.X = X if sparse.issparse(X) else torch.from_numpy(np.require(X, dtype=np.float32, requirements="W"))
        self.y = None if y is None else torch.from_numpy(np.require(y, requirements="W"))

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        index = torch.as_tensor(index)
        rows = self.X[index.numpy()] if sparse.issparse(self.X) else self.X[index]
        if sparse.issparse(rows):
            rows = rows.tocoo()
            indices = torch.from_numpy(np.vstack([rows.row, rows.col]).astype(np.int64))
            rows = torch.sparse_coo_tensor(indices, torch.from_numpy(rows.data), rows.shape, is_coalesced=True,
                                           check_invariants=False)
        return rows, (torch.zeros(len(index)) if self.y is None else self.y[index])


class InitialEmbedding(Callback):
    """Copies given vectors into the module's ``embedding`` when training begins (after skorch initialises it)."""

    def __init__(self, vectors):
        self.vectors = vectors

    def on_train_begin(self, net, **kwargs):
        if self.vectors is not None:
            with torch.no_grad():
                net.module_.embedding.copy_(torch.from_numpy(np.require(self.vectors, requirements="W")))
            # Kept no longer than needed: the estimator holds its net in memory.
            self.vectors = None


class IndexBatchedNet(NeuralNet):
    """skorch's ``NeuralNet`` with index-array batches for training and prediction.

    Training batches come from the ``iterator_train__sampler`` the estimator passes
    (with ``iterator_train__batch_size=None``); prediction batches are consecutive
    index ranges of ``batch_size`` rows. The dataset is indexed once per batch rather
    than once per row, and nothing is collated.
    """

    def __init__(self, *args, dataset=TensorBatchDataset, initial_embedding=None, **kwargs):
        super().__init__(*args, dataset=dataset, **kwargs)
        self.initial_embedding = initial_embedding

    @property
    def _default_callbacks(self):
        return [*super()._default_callbacks, ("distilkit_progress", EpochProgress),
                ("distilkit_embedding", InitialEmbedding(self.initial_embedding))]

    def initialize_optimizer(self, *args, **kwargs):
        """skorch's optimizer for every parameter but a static embedding, which gets its own sparse one.

        The embedding's gradient holds only the rows of a batch's tokens
        (:class:`~distilkit.estimators.neural.modules.StudentMLP`): ``torch.optim.SparseAdam``
        updates those rows (Adam's moments kept per row, lazily), and SGD takes sparse
        gradients as they are. Registered by skorch, it is zeroed and stepped with the other.
        """
        embedding = getattr(self.module_, "embedding", None)
        if embedding is None:
            return super().initialize_optimizer(*args, **kwargs)
        named = [(name, p) for name, p in self.get_all_learnable_params() if p is not embedding]
        params, options = self.get_params_for_optimizer("optimizer", named)
        self.optimizer_ = self.optimizer(*params, **options)
        if self.optimizer is torch.optim.SGD:
            self.embedding_optimizer_ = torch.optim.SGD([embedding], lr=options["lr"])
        else:
            shared = {key: options[key] for key in ("lr", "betas", "eps") if key in options}
            self.embedding_optimizer_ = torch.optim.SparseAdam([embedding], **shared)
        return self

    def get_iterator(self, dataset, training=False):
        if training:
            return super().get_iterator(dataset, training=True)
        kwargs = self.get_params_for("iterator_valid")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        sampler = BatchIndexSampler(len(dataset), batch_size, shuffle=False)
        return self.iterator_valid(dataset, batch_size=None, sampler=sampler, **kwargs)
