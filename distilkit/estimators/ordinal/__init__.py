"""Ordinal regression for rare events: PRESTO and the proportional-odds model."""

from distilkit.estimators.ordinal.presto import PrestoOrdinal, PrestoOrdinalCV
from distilkit.estimators.ordinal.proportional_odds import ProportionalOdds

__all__ = ["PrestoOrdinal", "PrestoOrdinalCV", "ProportionalOdds"]
