"""Classifiers trained on what the user actually measures."""
