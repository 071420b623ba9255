"""Shared machinery for the skorch-backed neural estimators."""
