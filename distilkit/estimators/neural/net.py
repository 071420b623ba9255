"""A skorch ``NeuralNet`` whose loaders fetch a whole mini-batch with one index array."""

import numpy as np
import torch
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
        # Writable arrays: torch cannot wrap read-only memory (e.g. memmapped inputs).
        self.X = torch.from_numpy(np.require(X, dtype=np.float32, requirements="W"))
        self.y = None if y is None else torch.from_numpy(np.require(y, requirements="W"))

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        index = torch.as_tensor(index)
        return self.X[index], (torch.zeros(len(index)) if self.y is None else self.y[index])


class IndexBatchedNet(NeuralNet):
    """skorch's ``NeuralNet`` with index-array batches for training and prediction.

    Training batches come from the ``iterator_train__sampler`` the estimator passes
    (with ``iterator_train__batch_size=None``); prediction batches are consecutive
    index ranges of ``batch_size`` rows. The dataset is indexed once per batch rather
    than once per row, and nothing is collated.
    """

    def __init__(self, *args, dataset=TensorBatchDataset, **kwargs):
        super().__init__(*args, dataset=dataset, **kwargs)

    @property
    def _default_callbacks(self):
        return [*super()._default_callbacks, ("distilkit_progress", EpochProgress)]

    def get_iterator(self, dataset, training=False):
        if training:
            return super().get_iterator(dataset, training=True)
        kwargs = self.get_params_for("iterator_valid")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        sampler = BatchIndexSampler(len(dataset), batch_size, shuffle=False)
        return self.iterator_valid(dataset, batch_size=None, sampler=sampler, **kwargs)
