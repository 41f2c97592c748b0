"""A small archive built directly with the models and PIL-written JPEGs (no ingest needed).

Three deer, two cameras, six tracks awaiting review with top-5 candidates and logged scores, and
a few reviewed detections so histograms and calibration have evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw
from sqlalchemy.orm import Session

from deertrack_core.models import (
    Deer,
    Deployment,
    Detection,
    Embedding,
    Image,
    ReidSetting,
    ReidSimilarityScore,
)

T0 = dt.datetime(2025, 10, 1, 6, 0, 0)
COLOURS = [(120, 90, 60), (150, 110, 70), (90, 70, 50)]


@dataclass
class Archive:
    deer: list[int]
    deployments: list[int]
    pending_tracks: list[int]  # track ids awaiting review, most uncertain first
    reviewed: list[int]  # detection ids already confirmed
    root: Path


def _photo(path: Path, seed: int) -> None:
    img = PILImage.new("RGB", (320, 240), (70 + seed * 7 % 40, 100, 60))
    draw = ImageDraw.Draw(img)
    draw.ellipse((100, 80, 220, 180), fill=COLOURS[seed % 3])
    draw.rectangle((0, 225, 320, 240), fill=(0, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=80)


def build(
    session: Session, root: Path, *, threshold: float = 0.85, evidence: bool = False
) -> Archive:
    """Write the archive; commits. ``evidence`` adds reviewed sightings with embeddings (two
    more per deer) and records ``test-model`` as the active model, for calibration."""
    deps = [Deployment(station="North", camera="C1"), Deployment(station="Creek", camera="C2")]
    session.add_all(deps)
    deer = [Deer(name=f"Deer {i + 1:03d}", sex_age=s) for i, s in enumerate(["buck", "doe", "doe"])]
    session.add_all(deer)
    session.flush()

    n = 0

    def detection(dep: Deployment, when: dt.datetime, **kw) -> Detection:
        nonlocal n
        n += 1
        rel = f"{dep.station}/IMG_{n:04d}.JPG"
        _photo(root / rel, n)
        img = Image(
            deployment_id=dep.id,
            path=rel,
            sha256=f"{n:064d}",
            captured_at=when,
            camera_time=when,
            width=320,
            height=240,
        )
        session.add(img)
        session.flush()
        det = Detection(image_id=img.id, x=0.3, y=0.3, w=0.4, h=0.45, confidence=0.9, **kw)
        session.add(det)
        session.flush()
        return det

    reviewed = []
    for i, d in enumerate(deer):  # one confirmed sighting each: the exemplars
        det = detection(
            deps[i % 2],
            T0 + dt.timedelta(days=i),
            deer_id=d.id,
            match_status="confirmed",
            match_score=0.95,
            track_id=100 + i,
        )
        d.exemplar_detection_id = det.id
        d.first_seen = d.last_seen = T0 + dt.timedelta(days=i)
        reviewed.append(det.id)

    # Pending tracks; scores chosen so the uncertainty order is known: |s - thr|.
    top = [0.86, 0.80, 0.95, 0.70, 0.99, 0.50]
    tracks = []
    for i, s in enumerate(top):
        track = 200 + i
        tracks.append(track)
        best = deer[i % 3]
        cands = [{"deer_id": best.id, "score": s}] + [
            {"deer_id": o.id, "score": round(s - 0.1 * (k + 1), 3)}
            for k, o in enumerate(x for x in deer if x.id != best.id)
        ]
        when = T0 + dt.timedelta(days=5 + i, minutes=1)
        for frame in range(2 if i < 2 else 1):  # the first two tracks are bursts of two frames
            det = detection(
                deps[i % 2],
                when + dt.timedelta(seconds=frame * 2),
                deer_id=best.id if s >= threshold else None,
                match_status="auto" if s >= threshold else "proposed",
                match_score=s,
                candidates=cands,
                track_id=track,
            )
            for c in cands:
                session.add(
                    ReidSimilarityScore(
                        detection_id=det.id,
                        deer_id=c["deer_id"],
                        similarity_score=c["score"],
                        matched=c["deer_id"] == best.id and s >= threshold,
                        threshold_used=threshold,
                        model="test-model",
                        run_id="run-1",
                        calculated_at=when,
                    )
                )
    # Scores for the reviewed detections too (same-deer evidence).
    for i, det_id in enumerate(reviewed):
        for d in deer:
            session.add(
                ReidSimilarityScore(
                    detection_id=det_id,
                    deer_id=d.id,
                    similarity_score=0.93 if d.id == deer[i].id else 0.55 + 0.05 * i,
                    matched=d.id == deer[i].id,
                    threshold_used=threshold,
                    model="test-model",
                    run_id="run-1",
                )
            )
    if evidence:
        _evidence(session, deer, deps, reviewed, detection, threshold)
    session.commit()
    order = sorted(range(len(top)), key=lambda i: abs(top[i] - threshold))
    return Archive(
        deer=[d.id for d in deer],
        deployments=[d.id for d in deps],
        pending_tracks=[tracks[i] for i in order],
        reviewed=reviewed,
        root=root,
    )


def _evidence(session, deer, deps, reviewed, detection, threshold) -> None:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(len(deer), 16))
    for i, d in enumerate(deer):
        for k in range(2):
            det = detection(
                deps[k],
                T0 + dt.timedelta(days=20 + 3 * i + k),
                deer_id=d.id,
                match_status="confirmed",
                match_score=0.9,
                track_id=300 + 10 * i + k,
            )
            reviewed.append(det.id)
    for det_id in reviewed:
        owner = session.get(Detection, det_id).deer_id
        i = [d.id for d in deer].index(owner)
        v = centres[i] + rng.normal(scale=1.0, size=16)
        v = (v / np.linalg.norm(v)).astype(np.float32)
        session.add(Embedding(detection_id=det_id, model="test-model", dim=16, vector=v.tobytes()))
    session.add(ReidSetting(model="test-model", threshold=threshold, goal="test", set_by="factory"))
