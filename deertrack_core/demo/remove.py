"""remove_demo: take the synthetic demo season out of an archive, and nothing else.

What is the demo's: the deployments whose notes carry the synthetic mark, their photos and those
photos' detections (with embeddings, similarity scores, backfill progress), the deer that are
synthetic (marked in their notes, or whose every detection was a demo one), the audit rows of all
of these, the thresholds recorded by the demo's own calibration (set by ``demo``), and the files
the season wrote (the ones its ``season.json`` lists). A real detection that was matched to a
synthetic deer goes back to the review queue (its deer is gone). Everything else stays.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from deertrack_core import auth, db, paths
from deertrack_core.demo.load import REVIEWER
from deertrack_core.demo.season import MARKER, SYNTHETIC_NOTE, clear_files
from deertrack_core.models import (
    BackfillProgress,
    Correction,
    Deer,
    Deployment,
    Detection,
    Embedding,
    Image,
    MatchStatus,
    ReidSetting,
    ReidSimilarityScore,
)

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class RemovalSummary:
    deployments: int
    photos: int
    detections: int
    deer: int
    scores: int
    corrections: int
    thresholds: int
    requeued: int  # real detections that were matched to a synthetic deer: back in the queue
    files: int
    folder: str

    def as_dict(self) -> dict:
        return asdict(self)


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _ids(session: Session, stmt) -> list[int]:
    return [int(i) for i in session.scalars(stmt)]


def _season_folder(session: Session, image_ids: list[int]) -> Path | None:
    """The folder of the season's marker, found above the demo photos."""
    stored = session.scalars(select(Image.path).where(Image.id.in_(image_ids[:50]))).all()
    for path in stored:
        for folder in paths.resolve(path).parents:
            if (folder / MARKER).is_file():
                return folder
    return None


def _synthetic_deer(session: Session, demo_dets: set[int]) -> list[int]:
    marked = set(_ids(session, select(Deer.id).where(Deer.notes.contains(SYNTHETIC_NOTE))))
    # A deer made from demo detections later (a reviewer's "new deer"): all its sightings are demo.
    counts = session.execute(
        select(Detection.deer_id, Detection.id).where(Detection.deer_id.is_not(None))
    ).all()
    per_deer: dict[int, list[int]] = {}
    for deer_id, det_id in counts:
        per_deer.setdefault(int(deer_id), []).append(int(det_id))
    made = {d for d, dets in per_deer.items() if all(i in demo_dets for i in dets)}
    return sorted(marked | made)


def remove_demo_records(
    session: Session, *, actor: auth.Actor | None = None
) -> tuple[RemovalSummary, Path | None]:
    """Delete the demo's records (the caller commits; ``actor`` must be an admin). Returns what
    went, and the season folder whose files are the demo's (deleted by :func:`remove_demo`
    after the commit)."""
    auth.require(session, actor, auth.ADMIN, "remove the demo season")
    deps = _ids(session, select(Deployment.id).where(Deployment.notes.contains(SYNTHETIC_NOTE)))
    images = _ids(session, select(Image.id).where(Image.deployment_id.in_(deps))) if deps else []
    folder = _season_folder(session, images) if images else None
    dets: list[int] = []
    for chunk in _chunks(images):
        dets += _ids(session, select(Detection.id).where(Detection.image_id.in_(chunk)))
    deer = _synthetic_deer(session, set(dets))
    scores = corrections = requeued = 0
    for chunk in _chunks(dets):
        scores += session.execute(
            delete(ReidSimilarityScore).where(ReidSimilarityScore.detection_id.in_(chunk))
        ).rowcount
        session.execute(delete(Embedding).where(Embedding.detection_id.in_(chunk)))
        session.execute(delete(BackfillProgress).where(BackfillProgress.detection_id.in_(chunk)))
        corrections += session.execute(
            delete(Correction).where(
                Correction.entity == "detection", Correction.entity_id.in_(chunk)
            )
        ).rowcount
        session.execute(delete(Detection).where(Detection.id.in_(chunk)))
    for chunk in _chunks(deer):
        scores += session.execute(
            delete(ReidSimilarityScore).where(ReidSimilarityScore.deer_id.in_(chunk))
        ).rowcount
        requeued += session.execute(
            update(Detection)
            .where(Detection.deer_id.in_(chunk))
            .values(deer_id=None, match_status=MatchStatus.PENDING.value, match_score=None,
                    candidates=None, reviewed_by=None, reviewed_at=None,
                    version=Detection.version + 1)
        ).rowcount  # fmt: skip
        corrections += session.execute(
            delete(Correction).where(Correction.entity == "deer", Correction.entity_id.in_(chunk))
        ).rowcount
        # A deer merged into a synthetic one keeps living on its own.
        session.execute(update(Deer).where(Deer.merged_into.in_(chunk)).values(merged_into=None))
    for chunk in _chunks(deer):
        session.execute(delete(Deer).where(Deer.id.in_(chunk)))
    for chunk in _chunks(images):
        session.execute(delete(Image).where(Image.id.in_(chunk)))
    if deps:
        corrections += session.execute(
            delete(Correction).where(
                Correction.entity == "deployment", Correction.entity_id.in_(deps)
            )
        ).rowcount
        session.execute(delete(Deployment).where(Deployment.id.in_(deps)))
    thresholds = session.execute(delete(ReidSetting).where(ReidSetting.set_by == REVIEWER)).rowcount
    summary = RemovalSummary(
        deployments=len(deps), photos=len(images), detections=len(dets), deer=len(deer),
        scores=scores, corrections=corrections, thresholds=thresholds, requeued=requeued,
        files=0, folder=str(folder or ""),
    )  # fmt: skip
    return summary, folder


def remove_demo(url: str | None = None, *, actor: auth.Actor | None = None) -> RemovalSummary:
    """Remove the demo season's records (one transaction), then its files (admins only)."""
    db.require_schema(db.get_engine(url))
    with db.session_scope(url) as session:
        summary, folder = remove_demo_records(session, actor=actor)
    files = clear_files(folder) if folder is not None else 0
    log.info("demo season removed: %s, %d files", summary, files)
    return RemovalSummary(**{**summary.as_dict(), "files": files})


def counts(session: Session) -> dict[str, int]:
    """Rows per table that the demo removal touches (to show before/after)."""
    tables = {
        "deployments": Deployment, "photos": Image, "detections": Detection, "deer": Deer,
        "scores": ReidSimilarityScore, "corrections": Correction, "thresholds": ReidSetting,
    }  # fmt: skip
    return {
        name: int(session.scalar(select(func.count()).select_from(m)) or 0)
        for name, m in tables.items()
    }
