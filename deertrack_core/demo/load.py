"""load_demo: generate a synthetic season and load it like a real one.

The season goes through the same doors as real data (ingest_folder with its deployments CSV, then
import_detections with its MegaDetector file, then burst tracks with assign_tracks). Then the ground truth of the earliest part of the
season (about a third of the deer boxes) is stored as if a reviewer had confirmed it: known deer
with their sex/age class, false boxes rejected. The rest stays pending for re-identification,
including the deer that only turn up later (they are not in the gallery yet).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from deertrack_core import auth, db, paths, settings
from deertrack_core.demo.season import SYNTHETIC_NOTE, DemoManifest, TruthBox, generate_season
from deertrack_core.errors import ConfigurationError
from deertrack_core.ingest import import_detections, ingest_folder
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.progress import ProgressCallback
from deertrack_core.reid.tracks import assign_tracks

log = logging.getLogger(__name__)

SPECIES = "white-tailed deer"
REVIEWER = "demo"
#: Share of the season's deer boxes (the earliest ones) stored as reviewed ground truth.
REVIEWED_SHARE = 0.35


@dataclass(frozen=True)
class DemoSummary:
    out_dir: str
    seed: int
    photos: int
    ingested: int
    duplicates: int
    detections: int
    tracks: int  # boxes of one animal across a burst, linked (one identity decision each)
    deer_total: int  # individuals in the synthetic herd
    deer_known: int  # individuals with reviewed sightings (rows in the deer table)
    reviewed: int  # detections stored as reviewed ground truth (confirmed or rejected)
    pending: int  # detections left for re-identification
    cameras: int
    start: str
    end: str
    reviewed_until: str
    generate_s: float
    load_s: float
    synthetic: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def default_out_dir() -> Path:
    return settings.data_root() / "var" / "demo-season"


def _stage(progress: ProgressCallback | None, name: str) -> ProgressCallback | None:
    if progress is None:
        return None

    def report(done: int, total: int, message: str = "") -> None:
        progress(done, total, f"{name}: {message}" if message else name)

    return report


def load_demo(
    url: str | None = None,
    *,
    out_dir: Path | None = None,
    seed: int = 7,
    n_deer: int = 24,
    n_cameras: int = 6,
    visits_per_deer: float = 7.0,
    progress: ProgressCallback | None = None,
    actor: auth.Actor | None = None,
) -> DemoSummary:
    """Generate the demo season into ``out_dir`` (default ``<DATA_ROOT>/var/demo-season``), ingest
    it, import its boxes and store the reviewed ground-truth subset. Loading the same season
    twice adds nothing. ``actor`` must be an admin."""
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir()
    db.require_schema(db.get_engine(url))
    actor = auth.require_url(url, actor, auth.ADMIN, "load the demo season")
    sign = signature(seed, n_deer, n_cameras, visits_per_deer)
    with db.session_scope(url) as session:
        _refuse_another_demo(session, sign)
    t0 = time.perf_counter()
    manifest = generate_season(
        out_dir, seed=seed, n_deer=n_deer, n_cameras=n_cameras, visits_per_deer=visits_per_deer,
        progress=_stage(progress, "drawing photos"),
    )  # fmt: skip
    t1 = time.perf_counter()
    ingested = ingest_folder(
        out_dir, url=url, deployments_csv=manifest.deployments_csv,
        progress=_stage(progress, "ingesting"), actor=actor,
    )  # fmt: skip
    imported = import_detections(
        manifest.md_json, url=url, progress=_stage(progress, "boxes"), actor=actor
    )
    with db.session_scope(url) as session:
        tracks = assign_tracks(session)
        cutoff, known, reviewed = mark_reviewed(session, manifest, sign=sign)
        pending = _count_pending(session, manifest)
        _note_deployments(session, manifest, sign)
    t2 = time.perf_counter()
    summary = DemoSummary(
        out_dir=str(out_dir),
        seed=seed,
        photos=len(manifest.files),
        ingested=ingested.ingested,
        duplicates=ingested.duplicates,
        detections=imported.detections_stored + imported.detections_kept,
        tracks=tracks.tracks,
        deer_total=len(manifest.herd),
        deer_known=known,
        reviewed=reviewed,
        pending=pending,
        cameras=len(manifest.stations),
        start=manifest.start.isoformat(),
        end=manifest.end.isoformat(),
        reviewed_until=cutoff.isoformat() if cutoff else "",
        generate_s=round(t1 - t0, 2),
        load_s=round(t2 - t1, 2),
    )
    log.info("demo season loaded: %s", summary)
    return summary


def signature(seed: int, n_deer: int, n_cameras: int, visits_per_deer: float) -> str:
    """The mark a loaded season leaves in its notes: which demo season it is."""
    return f"[demo season: seed {seed}, {n_deer} deer, {n_cameras} cameras, {visits_per_deer:g} visits]"


def _refuse_another_demo(session: Session, sign: str) -> None:
    other = session.scalars(
        select(Deployment.notes).where(Deployment.notes.contains(SYNTHETIC_NOTE)).limit(1)
    ).first()
    if other is not None and sign not in other:
        raise ConfigurationError(
            "The database already holds another demo season; loading a second one would mix "
            "their photos and reuse their deer names.",
            "Load it with the settings of the first (same --seed, --deer, --cameras) or into an "
            "empty database (DEERTRACK_DATABASE_URL).",
        )


def demo_present(session: Session) -> bool:
    """Whether the database holds the synthetic demo season (for a banner in the dashboard)."""
    hit = session.scalar(
        select(Deployment.id).where(Deployment.notes.contains(SYNTHETIC_NOTE)).limit(1)
    )
    return hit is not None


def _stored_paths(manifest: DemoManifest) -> dict[str, str]:
    root = settings.data_root()
    return {paths.to_stored(manifest.out_dir / rel, root): rel for rel in manifest.files}


def _season_detections(session: Session, manifest: DemoManifest):
    """(detection id, file, x, y, w, h, captured_at, match_status) of the season's boxes."""
    stored = _stored_paths(manifest)
    keys = list(stored)
    out = []
    for i in range(0, len(keys), 500):
        rows = session.execute(
            select(
                Detection.id,
                Image.path,
                Detection.x,
                Detection.y,
                Detection.w,
                Detection.h,
                Image.captured_at,
                Detection.match_status,
            )  # fmt: skip
            .join(Image, Image.id == Detection.image_id)
            .where(Image.path.in_(keys[i : i + 500]))
        ).all()
        out.extend((r[0], stored[r[1]], *r[2:]) for r in rows)
    return out


def _match_truth(dets, truth: tuple[TruthBox, ...]) -> dict[int, TruthBox]:
    """Detection id -> its truth row (the truth box of that photo nearest to the stored box)."""
    by_file: dict[str, list[TruthBox]] = {}
    for t in truth:
        by_file.setdefault(t.file, []).append(t)
    out = {}
    for det_id, file, x, y, w, h, *_ in dets:
        cands = by_file.get(file, [])
        if not cands:
            continue
        best = min(cands, key=lambda t: abs(t.x - x) + abs(t.y - y) + abs(t.w - w) + abs(t.h - h))
        if abs(best.x - x) + abs(best.y - y) + abs(best.w - w) + abs(best.h - h) < 0.02:
            out[det_id] = best
    return out


def mark_reviewed(
    session: Session, manifest: DemoManifest, share: float = REVIEWED_SHARE, sign: str = ""
) -> tuple[dt.date | None, int, int]:
    """Store the ground truth of the earliest days holding ``share`` of the deer boxes as reviewed.

    Returns (last reviewed day, deer known, detections marked). Detections a person already
    reviewed are left alone.
    """
    dets = _season_detections(session, manifest)
    truth = _match_truth(dets, manifest.truth)
    deer_times = sorted(d[6] for d in dets if d[0] in truth and truth[d[0]].deer and d[6])
    if not deer_times:
        return None, 0, 0
    cutoff = deer_times[min(int(len(deer_times) * share), len(deer_times) - 1)].date()
    chosen = [
        d
        for d in dets
        if d[0] in truth and truth[d[0]].category == "animal" and d[6] and d[6].date() <= cutoff
    ]
    specs = {s.tag: s for s in manifest.herd}
    sightings: dict[str, list] = {}
    for d in chosen:
        if truth[d[0]].deer:
            sightings.setdefault(truth[d[0]].deer, []).append(d)
    deer_ids = {}
    for tag in sorted(sightings):
        seen = sightings[tag]
        deer = session.scalars(
            select(Deer).where(Deer.name == tag, Deer.notes.contains(SYNTHETIC_NOTE))
        ).first()
        if deer is None:
            spec = specs[tag]
            deer = Deer(
                name=tag,
                sex_age=spec.sex_age,
                notes=f"{spec.description}. {SYNTHETIC_NOTE} {sign}".strip(),
            )
            session.add(deer)
        deer.first_seen = min(d[6] for d in seen)
        deer.last_seen = max(d[6] for d in seen)
        best = max(seen, key=lambda d: truth[d[0]].conf)
        deer.exemplar_detection_id = best[0]
        session.flush()
        deer_ids[tag] = deer.id
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table = Detection.__table__
    rows = []
    for d in chosen:
        if d[7] != MatchStatus.PENDING.value:
            continue
        t = truth[d[0]]
        rows.append({
            "_id": d[0],
            "_deer": deer_ids.get(t.deer),
            "_species": SPECIES if t.deer else None,
            "_sex_age": t.sex_age or "unknown",
            "_status": (MatchStatus.CONFIRMED if t.deer else MatchStatus.REJECTED).value,
            "_score": 1.0 if t.deer else None,
        })  # fmt: skip
    if rows:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                deer_id=bindparam("_deer"),
                species=bindparam("_species"),
                sex_age=bindparam("_sex_age"),
                match_status=bindparam("_status"),
                reviewed_by=REVIEWER,
                reviewed_at=now,
                version=table.c.version + 1,
            ),  # fmt: skip
            rows,
        )
    return cutoff, len(deer_ids), len(rows)


def _count_pending(session: Session, manifest: DemoManifest) -> int:
    keys = list(_stored_paths(manifest))
    total = 0
    for i in range(0, len(keys), 500):
        total += (
            session.scalar(
                select(func.count(Detection.id))
                .join(Image, Image.id == Detection.image_id)
                .where(
                    Image.path.in_(keys[i : i + 500]),
                    Detection.match_status == MatchStatus.PENDING.value,
                    Detection.category == "animal",
                )  # fmt: skip
            )
            or 0
        )
    return total


def _note_deployments(session: Session, manifest: DemoManifest, sign: str) -> None:
    for st in manifest.stations:
        dep = session.scalars(
            select(Deployment).where(Deployment.station == st.name, Deployment.camera == st.camera)
        ).first()
        if dep is not None and sign not in (dep.notes or ""):
            dep.notes = f"{SYNTHETIC_NOTE} {st.kind} station, {st.make} {st.model}. {sign}"
