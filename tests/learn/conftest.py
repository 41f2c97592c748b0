"""Fixtures for fine-tuning, model versions, threshold drift and suggestions.

``identity_photos`` gives real nyala photos (a few identities of ``../shared/data/nyala-dev``)
when the shared data is present, else small synthetic JPEGs with an appearance per identity, so
the training tests run on a fresh clone too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import shared_dir

IDENTITIES = 5
PER_IDENTITY = 4


def _synthetic(folder: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for k in range(IDENTITIES):
        rng = np.random.default_rng(100 + k)
        pattern = rng.integers(0, 256, size=(4, 6, 3), dtype=np.uint8)
        for j in range(PER_IDENTITY):
            noise = np.random.default_rng(1000 * k + j).integers(-40, 40, size=(4, 6, 3))
            small = np.clip(pattern.astype(int) + noise, 0, 255).astype(np.uint8)
            path = folder / f"id{k}" / f"{j}_photo.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(small).resize((320, 240), Image.Resampling.BICUBIC).save(path)
            out.setdefault(f"id{k}", []).append(path)
    return out


@pytest.fixture
def identity_photos(tmp_path) -> dict[str, list[Path]]:
    """``{identity: [photo, ...]}``, one sighting per photo."""
    shared = shared_dir()
    nyala = shared / "data" / "nyala-dev" if shared else None
    if nyala is None or not nyala.is_dir():
        return _synthetic(tmp_path / "synthetic")
    out: dict[str, list[Path]] = {}
    for sub in sorted(p for p in nyala.iterdir() if p.is_dir()):
        # one photo per sighting number, so no two photos of one sighting are both used
        firsts: dict[str, Path] = {}
        for f in sorted(sub.glob("*.jpg")):
            firsts.setdefault(f.name.split("_")[0], f)
        if len(firsts) >= PER_IDENTITY:
            out[sub.name] = sorted(firsts.values())[:PER_IDENTITY]
        if len(out) == IDENTITIES:
            break
    return out


@pytest.fixture
def identity_folder(tmp_path, identity_photos) -> Path:
    """The photos as an evaluate/--from-folder layout (symbolic links in a temporary folder)."""
    root = tmp_path / "catalogue"
    for identity, photos in identity_photos.items():
        (root / identity).mkdir(parents=True)
        for j, p in enumerate(photos):
            (root / identity / f"{j}_{p.name}").symlink_to(p)
    return root


TINY = {
    "epochs": 2,
    "trainable_blocks": 1,
    "views": 2,
    "identities_per_batch": 3,
    "crops_per_identity": 2,
    "input_size": 64,
}


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "models"
    monkeypatch.setenv("DEERTRACK_MODELS_DIR", str(path))
    monkeypatch.setenv("DEERTRACK_DEVICE", "cpu")
    monkeypatch.setenv("DEERTRACK_EMBEDDER", "mobilenetv2-imagenet")
    return path


def photo_archive(session, identity_photos, *, pending_per_identity: int = 1) -> dict:
    """Deer with confirmed detections on real photos (one photo a sighting, an hour apart), and
    the last ``pending_per_identity`` photos of each deer left pending."""
    from deertrack_core.models import Deer, Deployment, Detection
    from deertrack_core.models import Image as ImageRow

    dep = Deployment(station="S1", camera="C1")
    session.add(dep)
    session.flush()
    t0 = dt.datetime(2026, 5, 1, 6, 0)
    n = 0
    deer_ids, pending = {}, []
    for identity, photos in identity_photos.items():
        deer = Deer(name=f"deer {identity}")
        session.add(deer)
        session.flush()
        deer_ids[identity] = deer.id
        for j, path in enumerate(photos):
            n += 1
            img = ImageRow(deployment_id=dep.id, path=str(path), sha256=f"{n:064d}",
                           captured_at=t0 + dt.timedelta(hours=n), width=1, height=1)  # fmt: skip
            session.add(img)
            session.flush()
            is_pending = j >= len(photos) - pending_per_identity
            det = Detection(
                image_id=img.id, x=0.05, y=0.05, w=0.9, h=0.9,
                deer_id=None if is_pending else deer.id,
                match_status="pending" if is_pending else "confirmed",
            )  # fmt: skip
            session.add(det)
            session.flush()
            if is_pending:
                pending.append(det.id)
    session.commit()
    return {"deer": deer_ids, "pending": pending}
