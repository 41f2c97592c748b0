"""Real rows for re-identification tests: deer, photos, detections and cached embeddings.

Embeddings are seeded random unit vectors written to the embeddings table exactly as the
embedding cache writes them (float32 bytes), so the matching code reads real data.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy.orm import Session

from deertrack_core.models import Deer, Deployment, Detection, Embedding, Image

MODEL = "test-model"
T0 = dt.datetime(2026, 5, 1, 6, 0, 0)


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def near(rng: np.random.Generator, centre: np.ndarray, n: int, noise: float) -> np.ndarray:
    v = centre[None, :] + noise * rng.normal(size=(n, centre.shape[0])).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


class Archive:
    """Builds an archive in a session, numbering photos in time order."""

    def __init__(self, session: Session, model: str = MODEL) -> None:
        self.session = session
        self.model = model
        self.deployment = Deployment(station="S1", camera="C1")
        session.add(self.deployment)
        session.flush()
        self._n = 0

    def deer(self, name: str = "") -> Deer:
        d = Deer(name=name or f"deer{self._n}")
        self.session.add(d)
        self.session.flush()
        return d

    def detection(
        self,
        vector: np.ndarray | None,
        *,
        deer: Deer | None = None,
        status: str | None = None,
        minutes: float | None = None,
        untimed: bool = False,
        track_id: int | None = None,
        category: str = "animal",
    ) -> Detection:
        self._n += 1
        when = (
            None if untimed else T0 + dt.timedelta(minutes=self._n if minutes is None else minutes)
        )
        image = Image(
            deployment_id=self.deployment.id,
            path=f"img{self._n:05d}.jpg",
            sha256=f"{self._n:064d}",
            camera_time=when,
            captured_at=when,
        )
        self.session.add(image)
        self.session.flush()
        det = Detection(
            image_id=image.id, x=0.1, y=0.1, w=0.3, h=0.3, category=category,
            deer_id=deer.id if deer else None, track_id=track_id,
            match_status=status or ("confirmed" if deer else "pending"),
        )  # fmt: skip
        self.session.add(det)
        self.session.flush()
        if vector is not None:
            self.embed(det.id, vector)
        return det

    def embed(self, detection_id: int, vector: np.ndarray) -> None:
        v = np.asarray(vector, dtype=np.float32)
        self.session.add(
            Embedding(
                detection_id=detection_id, model=self.model, dim=v.shape[0], vector=v.tobytes()
            )
        )


class HistogramEmbedder:
    """A small real embedder (grey-level histogram), for tests that need one without torch."""

    def __init__(self, name: str = MODEL, dim: int = 32) -> None:
        self.name = name
        self.dim = dim

    def embed(self, images) -> np.ndarray:
        out = np.zeros((len(images), self.dim), dtype=np.float32)
        for i, img in enumerate(images):
            grey = np.asarray(img.convert("L"), dtype=np.float32)
            hist, _ = np.histogram(grey, bins=self.dim, range=(0, 256))
            out[i] = hist / max(np.linalg.norm(hist), 1e-12)
        return out
