"""Running distilkit's heavy passes on a Dask cluster (the ``dask`` extra): batch scoring of
partitioned tables, the teacher's encoding pass, and joblib-parallel fits."""

from distilkit.scale.cluster import dask_client, dask_parallel
from distilkit.scale.embedding import embed_texts
from distilkit.scale.scoring import score_files

__all__ = ["dask_client", "dask_parallel", "embed_texts", "score_files"]
