"""The estimators, one subpackage per method, and the table that names them (:mod:`.registry`).

``naive_bayes`` (NaiveBayesHead), ``ordinal`` (PRESTO, proportional odds), ``anyloss``
(AnyLossClassifier), ``distill`` (LELP and KD students), with ``neural`` (the skorch
wrapper they share) and ``decision`` (labels from probabilities). Import the classes
from ``distilkit`` or their subpackage; this package imports none of them, so that naming
them costs nothing.
"""
