"""Real data sets that install offline from package registries."""

from distilkit.datasets.vader import VADER_SETS, load_vader

__all__ = ["VADER_SETS", "load_vader"]
