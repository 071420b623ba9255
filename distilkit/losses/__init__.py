"""Differentiable training losses (torch)."""
