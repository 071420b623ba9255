"""Ordinal regression for rare events: PRESTO and the proportional-odds model."""

from distilkit.ordinal.presto import PrestoOrdinal, PrestoOrdinalCV
from distilkit.ordinal.proportional_odds import ProportionalOdds

__all__ = ["PrestoOrdinal", "PrestoOrdinalCV", "ProportionalOdds"]
