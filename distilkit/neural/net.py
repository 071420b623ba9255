"""A skorch ``NeuralNet`` whose loaders fetch a whole mini-batch with one index array."""

from skorch import NeuralNet

from distilkit.neural.batching import BatchIndexSampler


class IndexBatchedNet(NeuralNet):
    """skorch's ``NeuralNet`` with index-array batches for prediction too.

    Training batches come from the ``iterator_train__sampler`` the estimator passes
    (with ``iterator_train__batch_size=None``); prediction batches are consecutive
    index ranges of ``batch_size`` rows. Either way the skorch ``Dataset`` is indexed
    once per batch rather than once per row, and nothing is collated.
    """

    def get_iterator(self, dataset, training=False):
        if training:
            return super().get_iterator(dataset, training=True)
        kwargs = self.get_params_for("iterator_valid")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        sampler = BatchIndexSampler(len(dataset), batch_size, shuffle=False)
        return self.iterator_valid(dataset, batch_size=None, sampler=sampler, **kwargs)
