"""The embedding cache: one row per (detection, model), vectors as float32 bytes.

Nothing is embedded twice: :func:`ensure_embeddings` reads what is cached and embeds only the
rest. Query functions take a Session and never commit (callers own the transaction).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from deertrack_core import paths
from deertrack_core.models import Detection, Embedding, Image
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid.embedder_base import Embedder

log = logging.getLogger(__name__)

#: Crop margin (fraction of the box on each side) used for every cached embedding (bench/crops.py).
MARGIN = 0.1
_CHUNK = 500  # ids per IN (...) clause


@dataclass(frozen=True)
class CropJob:
    detection_id: int
    path: Path
    box: tuple[float, float, float, float]


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4", count=dim).astype(np.float32)


def cached(session: Session, model: str, detection_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """The cached vectors of ``model`` for those detections (missing ids are absent)."""
    found: dict[int, np.ndarray] = {}
    ids = sorted({int(i) for i in detection_ids})
    for part in _chunks(ids):
        rows = session.execute(
            select(Embedding.detection_id, Embedding.dim, Embedding.vector).where(
                Embedding.model == model, Embedding.detection_id.in_(part)
            )
        )
        for det_id, dim, blob in rows:
            found[det_id] = from_bytes(blob, dim)
    return found


def crop_jobs(session: Session, detection_ids: Iterable[int]) -> list[CropJob]:
    """Photo file and box of each detection, in the order of ``detection_ids``."""
    ids = [int(i) for i in detection_ids]
    by_id: dict[int, CropJob] = {}
    for part in _chunks(sorted(set(ids))):
        rows = session.execute(
            select(Detection.id, Detection.x, Detection.y, Detection.w, Detection.h, Image.path)
            .join(Image, Image.id == Detection.image_id)
            .where(Detection.id.in_(part))
        )
        for det_id, x, y, w, h, stored in rows:
            by_id[det_id] = CropJob(det_id, paths.resolve(stored), (x, y, w, h))
    return [by_id[i] for i in ids if i in by_id]


def embed_crops(
    jobs: Sequence[CropJob],
    embedder: Embedder,
    *,
    batch_size: int = 32,
    margin: float = MARGIN,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> Iterator[tuple[list[int], np.ndarray]]:
    """Yield ``(detection_ids, vectors)`` batch by batch through the image pipeline: each photo
    decoded once for all its boxes, on a pool of threads sized by the cores (or by nvJPEG when
    the embedder runs on CUDA), overlapped with the model. A photo that cannot be read is
    logged and its detections skipped."""
    from deertrack_core.images import gpu, pipeline

    size = getattr(embedder, "input_size", 224)
    photos = pipeline.group_by_photo((j.detection_id, j.path, j.box) for j in jobs)
    total = len(jobs)
    if gpu.cuda_ready(getattr(embedder, "device", None)) and hasattr(embedder, "forward"):
        batches = gpu.embedded_batches(
            photos, embedder, margin=margin, batch_size=batch_size, workers=workers
        )
    else:
        stream = pipeline.decoded(
            photos, margin=margin, min_side=size, workers=workers, squares=size
        )
        crops = pipeline.crops_for_embedding(
            stream, size=size, margin=margin, batch_size=batch_size
        )
        batches = ((ids, embedder.embed(images), done) for ids, images, done in crops)
    for ids, vectors, done in batches:
        yield ids, vectors
        if progress:
            progress(done, total, f"embedded {done}/{total}")
    if progress:
        progress(total, total, "embeddings ready")


def ensure_embeddings(
    session: Session,
    detection_ids: list[int],
    embedder: Embedder,
    *,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
) -> dict[int, np.ndarray]:
    """Vectors for ``detection_ids`` under ``embedder.name``: cached rows are read, the missing
    ones are cropped, embedded and added to the session (the caller commits).

    Detections whose photo cannot be read are left out of the result (and logged).
    """
    model = embedder.name
    result = cached(session, model, detection_ids)
    missing = [i for i in dict.fromkeys(int(d) for d in detection_ids) if i not in result]
    if not missing:
        if progress:
            progress(len(result), len(result), "all embeddings cached")
        return result
    jobs = crop_jobs(session, missing)
    log.info("embedding %d detections with %s (%d cached)", len(jobs), model, len(result))
    for ids, vectors in embed_crops(jobs, embedder, batch_size=batch_size, progress=progress):
        rows = [
            {"detection_id": i, "model": model, "dim": int(v.shape[0]), "vector": to_bytes(v)}
            for i, v in zip(ids, vectors, strict=True)
        ]
        session.execute(insert_ignoring_duplicates(session), rows)
        result.update(zip(ids, vectors, strict=True))
    return result


def insert_ignoring_duplicates(session: Session, table=Embedding, keys=("detection_id", "model")):
    """INSERT that leaves a row another worker wrote meanwhile alone (both backends)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return insert(table)


def load_embeddings(
    session: Session, model: str, detection_ids: Iterable[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, matrix)`` of the cached vectors of ``model``, ordered by detection id.

    ``ids`` is int64 ``(n,)``, ``matrix`` float32 ``(n, dim)`` (``(0, 0)`` when none).
    """
    if detection_ids is None:
        rows = session.execute(
            select(Embedding.detection_id, Embedding.dim, Embedding.vector)
            .where(Embedding.model == model)
            .order_by(Embedding.detection_id)
        ).all()
        pairs = [(d, from_bytes(b, dim)) for d, dim, b in rows]
    else:
        found = cached(session, model, detection_ids)
        pairs = sorted(found.items())
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    return ids, np.stack([p[1] for p in pairs]).astype(np.float32, copy=False)


def mean_embedding(vectors: np.ndarray) -> np.ndarray:
    """The L2-normalised mean of unit vectors (a track's or a deer's embedding)."""
    mean = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
