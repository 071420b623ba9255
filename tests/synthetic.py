"""Synthetic tables shared by tests."""

import numpy as np
import pandas as pd


def distillation_frame(n_rows, n_latent, n_embedding, n_features):
    """Teacher embeddings ``emb_*`` and different, noisier student features ``f_*`` of one latent; labels pos/neg."""
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(n_rows, n_latent))
    frame = pd.DataFrame(latent @ rng.normal(size=(n_latent, n_embedding)),
                         columns=[f"emb_{j}" for j in range(n_embedding)])
    for j in range(n_features):
        frame[f"f_{j}"] = latent[:, j] + 0.5 * rng.normal(size=n_rows)
    frame["label"] = np.where(latent[:, 0] + latent[:, 1] > 0, "pos", "neg")
    return frame
