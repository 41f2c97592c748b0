"""Fixtures of the embedding tests: real JPEGs written by PIL, real databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_jpeg(path: Path, size=(640, 480), seed: int = 0, orientation: int | None = None) -> Path:
    """A JPEG of smooth random colour blobs (so different seeds embed differently)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    if orientation is None:
        img.save(path, quality=90)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        img.save(path, quality=90, exif=exif)
    return path


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "photos"
    root.mkdir()
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(root))
    return root


def add_detections(session, root: Path, n: int, *, boxes_per_image: int = 1) -> list[int]:
    """n photos with one deployment; returns the detection ids (flushed, not committed)."""
    from deertrack_core.models import Deployment, Detection
    from deertrack_core.models import Image as ImageRow

    dep = Deployment(station="S1", camera="C1")
    session.add(dep)
    session.flush()
    ids = []
    for i in range(n):
        path = write_jpeg(root / f"img_{i:03d}.jpg", seed=i)
        img = ImageRow(
            deployment_id=dep.id,
            path=path.name,
            sha256=f"{i:064d}",
            captured_at=dt.datetime(2024, 5, 1, 6, 0, i),
            width=640,
            height=480,
        )
        session.add(img)
        session.flush()
        for b in range(boxes_per_image):
            det = Detection(image_id=img.id, x=0.1 + 0.4 * b, y=0.2, w=0.35, h=0.5)
            session.add(det)
            session.flush()
            ids.append(det.id)
    return ids
