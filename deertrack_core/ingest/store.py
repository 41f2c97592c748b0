"""ingest_folder: walk a folder, read each photo's metadata, store new photos in batches.

Every batch is one transaction: a photo is either stored whole (one ``images`` row, its deployment
created if new) or not at all, and an interrupted run keeps the batches already committed; running
it again skips them as duplicates (the SHA-256 is unique).

No single file can stop a run: special files are skipped unopened, a file that does not answer
within ``DEERTRACK_INGEST_FILE_TIMEOUT_S`` is given up, any error reading one file becomes that
file's reason in ``failed``, a batch the database refuses is stored one photo at a time, and file
names that are not UTF-8 are stored in a reversible form (:func:`deertrack_core.paths.storable`).
Photos with implausible times are stored, flagged and listed (:mod:`.plausible`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from deertrack_core import auth, db, paths, settings
from deertrack_core.errors import IngestError
from deertrack_core.ingest.clock import set_clock_offset
from deertrack_core.ingest.exif import PhotoInfo, read_photo
from deertrack_core.ingest.files import ordered_map, readable, walk_photos
from deertrack_core.ingest.layout import (
    DeploymentRow,
    Locator,
    Placement,
    read_deployments_csv,
)
from deertrack_core.ingest.plausible import reflag_times
from deertrack_core.ingest.sequences import assign_sequences, refresh_deployment_spans
from deertrack_core.models import Deployment, Image
from deertrack_core.progress import ProgressCallback

log = logging.getLogger(__name__)

BATCH_SIZE = 200
#: Reading is I/O plus hashing (hashlib releases the GIL), so a few threads overlap it.
READ_THREADS = min(4, (os.cpu_count() or 1) + 1)


@dataclass(frozen=True)
class FileProblem:
    path: str
    reason: str


@dataclass(frozen=True)
class IngestSummary:
    ingested: int
    duplicates: int
    failed: list[FileProblem]
    untimed: int
    deployments: int  # deployments the photos of this run belong to
    sequences: int  # sequences (bursts) in those deployments after the run
    deployments_created: int = 0
    ignored_files: int = 0  # files that are not photos (videos, CSVs, ...)
    untimed_files: list[str] = field(default_factory=list)
    updated: int = 0  # photos stored before under the same path whose bytes changed
    # Stored, but their time is implausible (path, why): kept out of effort and activity.
    implausible: list[FileProblem] = field(default_factory=list)
    databar_timed: int = 0  # photos timed by reading the camera's data bar

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Counts:
    ingested: int = 0
    updated: int = 0
    duplicates: int = 0
    untimed: int = 0
    created: int = 0
    failed: list[FileProblem] = field(default_factory=list)
    untimed_files: list[str] = field(default_factory=list)
    deployment_ids: set[int] = field(default_factory=set)
    stored_paths: set[str] = field(default_factory=set)
    databar: int = 0


@dataclass(frozen=True)
class _Ready:
    stored: str
    info: PhotoInfo
    place: Placement


def ingest_folder(
    root: Path,
    *,
    url: str | None = None,
    deployments_csv: Path | None = None,
    layout: str = "auto",
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
    actor: auth.Actor | None = None,
) -> IngestSummary:
    """Ingest every photo under ``root``; see deertrack_core.ingest.layout for ``layout``.

    Photo paths are stored with :func:`deertrack_core.paths.to_stored`. Unreadable files are
    reported in ``failed`` and the run goes on; photos without a time are stored untimed.
    ``actor`` must be an admin; a signed-in user's folder and CSV must lie under the data root.
    """
    if actor is not None and actor.confined:  # before anything says whether the path exists
        root = paths.within_data_root(root, "The photo folder")
        if deployments_csv:
            deployments_csv = paths.within_data_root(deployments_csv, "The deployments CSV")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise IngestError(f"{root} is not a folder.", "Give the folder that holds the photos.")
    root = root.resolve()
    db.require_schema(db.get_engine(url))
    actor = auth.require_url(url, actor, auth.ADMIN, "ingest photos")
    rows = read_deployments_csv(Path(deployments_csv)) if deployments_csv else None
    locator = Locator(root, layout, rows)
    # paths.to_stored resolves every path component (a syscall each); the walk already yields
    # paths under the resolved root, so store "<root as stored>/<path below it>".
    prefix = paths.to_stored(root, settings.data_root())
    prefix = "" if prefix == "." else prefix.rstrip("/") + "/"

    walk = walk_photos(root)
    files = list(walk.files)
    counts = _Counts()
    for bad in walk.skipped:
        counts.failed.append(FileProblem(_rel(bad.path, root), bad.reason))
    if actor.confined:
        for link in paths.links_outside(files):
            files.remove(link)
            reason = "a link to a file outside the data root (not followed)"
            counts.failed.append(FileProblem(_rel(link, root), reason))
    total = len(files)
    dep_cache: dict[tuple[str, str], _DepRef] = {}
    applied_rows: set[int] = set()
    log.info("ingest %s: %d photos", root, total)
    from deertrack_core.ingest.databar import bar_reader

    reader = functools.partial(read_photo, bar_reader=bar_reader())
    # Reading overlaps storing: up to two batches of files are read ahead by the threads.
    results = ordered_map(
        files, reader, workers=READ_THREADS, ahead=2 * batch_size,
        timeout=settings.ingest_file_timeout_s(),
    )  # fmt: skip
    ready: list[_Ready] = []
    done = 0
    for path, result in results:
        done += 1
        rel = _rel(path, root)
        if isinstance(result, BaseException):
            counts.failed.append(FileProblem(rel, readable(result)))
        elif len(prefix + rel) > _MAX_PATH:
            counts.failed.append(FileProblem(rel, f"path longer than {_MAX_PATH} characters"))
        else:
            try:
                place = locator.place(PurePosixPath(rel), result.camera_time)
            except IngestError as exc:
                counts.failed.append(FileProblem(rel, exc.problem))
            else:
                ready.append(_Ready(prefix + rel, result, place))
        if len(ready) >= batch_size or done == total:
            _store_batch(url, ready, counts, dep_cache, applied_rows, actor)
            ready = []
            if progress:
                progress(
                    done, total,
                    f"{counts.ingested} new, {counts.duplicates} duplicate, "
                    f"{len(counts.failed)} failed",
                )  # fmt: skip
    with db.session_scope(url) as session:
        reflag_times(session, counts.deployment_ids)
        refresh_deployment_spans(session, counts.deployment_ids)
        sequences = assign_sequences(session, counts.deployment_ids)
        implausible = _implausible(session, counts)
    if progress and total == 0:
        progress(0, 0, "no photos found")
    summary = IngestSummary(
        ingested=counts.ingested,
        duplicates=counts.duplicates,
        failed=counts.failed,
        untimed=counts.untimed,
        deployments=len(counts.deployment_ids),
        sequences=sequences,
        deployments_created=counts.created,
        ignored_files=walk.ignored,
        untimed_files=counts.untimed_files,
        updated=counts.updated,
        implausible=implausible,
        databar_timed=counts.databar,
    )
    log.info(
        "ingest %s done: %d new, %d duplicate, %d failed, %d untimed, %d implausible times",
        root,
        summary.ingested,
        summary.duplicates,
        len(summary.failed),
        summary.untimed,
        len(summary.implausible),
    )
    return summary


_MAX_PATH = 1000  # images.path


def _rel(path: Path, root: Path) -> str:
    """The path below the ingested folder as stored and shown (non-UTF-8 bytes made storable)."""
    try:
        return paths.storable(path.relative_to(root).as_posix())
    except ValueError:
        return paths.storable(path.as_posix())


def _implausible(session: Session, counts: _Counts) -> list[FileProblem]:
    if not counts.deployment_ids:
        return []
    rows = session.execute(
        select(Image.path, Image.captured_at, Image.time_problem)
        .where(Image.deployment_id.in_(sorted(counts.deployment_ids)))
        .where(Image.time_problem.is_not(None))
        .order_by(Image.path)
    )
    return [
        FileProblem(p, f"time {when:%Y-%m-%d %H:%M:%S} is {why}; kept out of effort and activity")
        for p, when, why in rows
        if p in counts.stored_paths
    ]


_DepRef = tuple[int, float]  # deployment id, clock offset in seconds


def _store_batch(
    url: str | None,
    ready: list[_Ready],
    counts: _Counts,
    dep_cache: dict[tuple[str, str], _DepRef],
    applied_rows: set[int],
    actor: auth.Actor,
) -> None:
    if not ready:
        return
    try:
        _store(url, ready, counts, dep_cache, applied_rows, actor)
    except (IntegrityError, DataError) as exc:
        # Another process stored some of these photos meanwhile, or the database refused one
        # photo's values: redo one photo at a time so the others are not lost with it.
        log.info("batch refused (%s); storing one photo at a time", type(exc).__name__)
        for item in ready:
            try:
                _store(url, [item], counts, dep_cache, applied_rows, actor)
            except IntegrityError:
                counts.duplicates += 1
            except DataError as one:
                reason = f"the database refused its values: {readable(one.orig or one)}"
                counts.failed.append(FileProblem(item.stored, reason.splitlines()[0]))


def _store(url, ready, counts, dep_cache, applied_rows, actor) -> None:
    """One transaction: deployments, then the new photos. Counts change only once committed."""
    local_cache = dict(dep_cache)
    local_applied = set(applied_rows)
    with db.session_scope(url) as session:
        settled = _known_places(session, ready)
        deps, created = _deployments(session, settled, local_cache, local_applied, actor)
        rows, changed, dups = _new_rows(session, settled, deps)
        dups += len(ready) - len(settled)
        if rows:
            session.execute(insert(Image), rows)
        if changed:
            session.execute(update(Image), changed)
    dep_cache.update(local_cache)
    applied_rows.update(local_applied)
    counts.created += created
    counts.ingested += len(rows)
    counts.updated += len(changed)
    counts.duplicates += dups
    for r in rows + changed:
        counts.deployment_ids.add(r["deployment_id"])
        counts.stored_paths.add(r["path"])
        counts.databar += r["time_source"].startswith("databar")
        if r["time_source"] == "none":
            counts.untimed += 1
            counts.untimed_files.append(r["path"])


def _known_places(session: Session, ready: Sequence[_Ready]) -> list[_Ready]:
    """What the archive already knows wins over the folder layout, so that ingesting a known
    folder again never invents a station.

    A photo already stored (same bytes) is left out: it is a duplicate and needs no deployment.
    A photo stored before under the same path keeps its deployment. A new photo in a folder
    whose stored photos all belong to one deployment joins it (unless a deployments CSV row
    places it). Without this, re-ingesting the demo season (laid out Station/CAM1/ and placed by
    its CSV) with the default layout made a phantom station "CAM1".
    """
    shas = [r.info.sha256 for r in ready]
    known = set(session.scalars(select(Image.sha256).where(Image.sha256.in_(shas))))
    fresh = [r for r in ready if r.info.sha256 not in known]
    folders = {r.stored.rpartition("/")[0] for r in fresh if r.place.row is None}
    by_folder: dict[str, Placement] = {}
    for folder in folders:
        inside = _like_escaped(f"{folder}/" if folder else "")
        stmt = (
            select(Deployment.station, Deployment.camera)
            .join(Image, Image.deployment_id == Deployment.id)
            .where(Image.path.like(inside + "%", escape="\\"))
            .where(Image.path.not_like(inside + "%/%", escape="\\"))  # not in sub-folders
            .distinct()
            .limit(2)
        )
        found = session.execute(stmt).all()
        if len(found) == 1:
            by_folder[folder] = Placement(found[0][0], found[0][1])
    out = []
    for r in fresh:
        home = by_folder.get(r.stored.rpartition("/")[0]) if r.place.row is None else None
        if home is not None:
            r = replace(r, place=Placement(home.station, home.camera, r.place.species))
        out.append(r)
    return out


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _key(place: Placement) -> tuple[str, str]:
    return place.station[:200], place.camera[:200]


def _deployments(
    session: Session,
    ready: Sequence[_Ready],
    cache: dict[tuple[str, str], _DepRef],
    applied_rows: set[int],
    actor: auth.Actor,
) -> tuple[dict[tuple[str, str], _DepRef], int]:
    """The deployment of each placement, created when new; CSV attributes applied once per run."""
    created = 0
    for item in ready:
        key = _key(item.place)
        row = item.place.row
        if key in cache and (row is None or row.line in applied_rows):
            continue
        dep = session.scalars(
            select(Deployment).where(Deployment.station == key[0], Deployment.camera == key[1])
        ).one_or_none()
        new = dep is None
        if dep is None:
            dep = Deployment(station=key[0], camera=key[1], clock_offset_s=0.0)
            session.add(dep)
            session.flush()
            created += 1
        if row is not None and row.line not in applied_rows:
            _apply_row(session, dep, row, new=new, actor=actor)
            applied_rows.add(row.line)
        cache[key] = (dep.id, float(dep.clock_offset_s or 0.0))
    return cache, created


def _apply_row(
    session: Session, dep: Deployment, row: DeploymentRow, *, new: bool, actor: auth.Actor
) -> None:
    for attr in ("latitude", "longitude", "start", "end", "timezone", "notes"):
        value = getattr(row, attr)
        if value is not None:
            setattr(dep, attr, value)
    if row.start is not None or row.end is not None:
        dep.span_declared = True  # photos outside these dates are flagged, not let in
    if row.clock_offset_s is None or row.clock_offset_s == (dep.clock_offset_s or 0.0):
        pass
    elif new:
        dep.clock_offset_s = row.clock_offset_s
    else:
        # Photos stored earlier must move with the new offset (and it is audited).
        set_clock_offset(session, dep.id, row.clock_offset_s, actor=actor, source="CSV")
    session.flush()


def _new_rows(
    session: Session, ready: Sequence[_Ready], deps: dict[tuple[str, str], _DepRef]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(rows to insert, rows to update, duplicates) for a batch.

    A file already stored under the same path with other bytes (tags added in digiKam after the
    first ingest, say) updates that row, so its detections and history stay attached.
    """
    shas = [r.info.sha256 for r in ready]
    existing = set(session.scalars(select(Image.sha256).where(Image.sha256.in_(shas))).all())
    by_path = dict(
        session.execute(
            select(Image.path, Image.id).where(Image.path.in_([r.stored for r in ready]))
        ).all()
    )
    rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    dups = 0
    for item in ready:
        info = item.info
        if info.sha256 in existing:
            dups += 1
            continue
        existing.add(info.sha256)
        dep_id, offset = deps[_key(item.place)]
        captured = None
        if info.camera_time is not None:
            captured = info.camera_time + dt.timedelta(seconds=offset)
        row = {
            "deployment_id": dep_id,
            "path": item.stored,
            "sha256": info.sha256,
            "file_size": info.file_size,
            "camera_time": info.camera_time,
            "captured_at": captured,
            "time_source": info.time_source,
            "width": info.width,
            "height": info.height,
            "orientation": info.orientation,
            "make": info.make,
            "model": info.model,
            "species_tag": (info.species_tag or item.place.species or None),
            "individual_tag": info.individual_tag,
        }
        if item.stored in by_path:
            changed.append({"id": by_path[item.stored], **row})
        else:
            rows.append(row)
    return rows, changed, dups
