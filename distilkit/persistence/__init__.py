"""Model files (``.dkm``): safe single-file persistence of fitted models and what they were fitted on."""

from distilkit.persistence.model_files import (
    FORMAT_VERSION,
    ModelVersionWarning,
    load_model,
    model_roles,
    read_model,
    read_model_meta,
    save_model,
)

__all__ = ["FORMAT_VERSION", "ModelVersionWarning", "load_model", "model_roles", "read_model", "read_model_meta",
           "save_model"]
