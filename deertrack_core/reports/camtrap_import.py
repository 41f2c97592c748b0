"""Import a Camtrap DP package (a folder with datapackage.json) into the database.

deployments → deployments (station = locationName, camera = cameraID), media → images (files
found in the package are stored with absolute paths; media only reachable by URL keep the URL),
media-level observations of animals, humans and vehicles → detections (bbox when given, else the
whole frame), individualID → deer. Times keep the camera's local wall clock; the deployment's
time zone becomes ``Etc/GMT±h`` from the timestamps' offset. Importing the same package twice
adds nothing the second time (images are keyed by file hash or package + mediaID).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from deertrack_core import auth, db, paths
from deertrack_core.errors import NotFoundError
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.progress import ProgressCallback, noop

CATEGORY = {"animal": "animal", "human": "person", "vehicle": "vehicle"}


@dataclass(frozen=True)
class PackageImportSummary:
    deployments: int
    images: int
    images_skipped: int
    detections: int
    deer: int
    blank_or_unknown: int
    event_observations_skipped: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _local(ts: str) -> tuple[dt.datetime | None, str | None]:
    """ISO timestamp → (naive local wall time, Etc/GMT zone of its offset)."""
    if not isinstance(ts, str) or not ts:
        return None, None
    parsed = dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    offset = parsed.utcoffset()
    zone = "UTC"
    if offset:
        hours = offset.total_seconds() / 3600
        zone = f"Etc/GMT{-int(hours):+d}" if hours.is_integer() else "UTC"
        if not hours.is_integer():
            parsed = parsed.astimezone(dt.UTC)
    return parsed.replace(tzinfo=None), zone


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.is_file():
        raise NotFoundError(
            f"The Camtrap DP package at {folder} has no {name}.csv.",
            "Point to the folder that holds datapackage.json and the three CSV tables.",
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _clean(value) -> str | None:
    return value if isinstance(value, str) and value not in ("", "NA", "NaN", "nan") else None


def _media_file(folder: Path, row) -> tuple[str, str]:
    """(stored path, sha256 key) of one media row."""
    candidates = []
    if _clean(row.filePath) and "://" not in row.filePath:
        candidates.append(folder / row.filePath)
    if _clean(row.fileName):
        candidates += [folder / "media" / row.fileName, folder / row.fileName]
    for c in candidates:
        if c.is_file():
            return c.resolve().as_posix(), hashlib.sha256(c.read_bytes()).hexdigest()
    return row.filePath, None  # type: ignore[return-value]


def _sex_age(sex: str | None, life_stage: str | None) -> str:
    if life_stage == "juvenile":
        return "fawn"
    return {"male": "buck", "female": "doe"}.get(sex or "", "unknown")


def import_package(
    folder: Path,
    url: str | None = None,
    *,
    progress: ProgressCallback | None = None,
    actor: auth.Actor | None = None,
) -> PackageImportSummary:
    """Import the Camtrap DP package in ``folder``; return what was added. ``actor`` must be an
    admin; a signed-in user's package must lie under the data root."""
    progress = progress or noop
    if actor is not None and actor.confined:
        folder = paths.within_data_root(folder, "The package folder")
    auth.require_url(url, actor, auth.ADMIN, "import a Camtrap DP package")
    folder = Path(folder)
    if not (folder / "datapackage.json").is_file():
        raise NotFoundError(
            f"{folder} has no datapackage.json.",
            "Unzip the package and point to the folder that holds datapackage.json.",
        )
    meta = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    package_id = meta.get("id") or meta.get("name") or folder.name
    deployments, media, observations = (_read(folder, n) for n in ("deployments", "media", "observations"))  # fmt: skip
    progress(1, 4, f"read {len(media)} media and {len(observations)} observations")
    with db.session_scope(url) as session:
        dep_map, zones, new_deps = _import_deployments(session, deployments, meta)
        image_map, new_images, skipped = _import_media(session, folder, media, dep_map, zones, package_id)  # fmt: skip
        progress(2, 4, f"stored {new_images} images")
        counts = _import_observations(session, observations, image_map)
        progress(4, 4, "done")
    return PackageImportSummary(new_deps, new_images, skipped, *counts)


def _import_deployments(session, deployments: pd.DataFrame, meta: dict):
    dep_map: dict[str, int] = {}
    zones: dict[str, str] = {}
    created = 0
    for row in deployments.itertuples():
        station = _clean(row.locationName) or _clean(row.locationID) or row.deploymentID
        camera = _clean(getattr(row, "cameraID", None)) or row.deploymentID
        start, zone = _local(row.deploymentStart)
        end, _ = _local(row.deploymentEnd)
        existing = session.scalar(select(Deployment).where(
            Deployment.station == station, Deployment.camera == camera))  # fmt: skip
        if existing is not None and existing.start != start:
            camera = f"{camera} ({row.deploymentID})"
            existing = session.scalar(select(Deployment).where(
                Deployment.station == station, Deployment.camera == camera))  # fmt: skip
        if existing is None:
            lat, lon = _clean(row.latitude), _clean(row.longitude)
            comment = _clean(getattr(row, "deploymentComments", None)) or ""
            existing = Deployment(
                station=station, camera=camera, start=start, end=end, timezone=zone or "UTC",
                latitude=float(lat) if lat else None, longitude=float(lon) if lon else None,
                notes=f"Imported from Camtrap DP package {meta.get('name', '')} "
                      f"(deploymentID {row.deploymentID}). {comment}".strip(),
            )  # fmt: skip
            session.add(existing)
            session.flush()
            created += 1
        dep_map[row.deploymentID] = existing.id
        zones[row.deploymentID] = zone or "UTC"
    return dep_map, zones, created


def _import_media(session, folder, media, dep_map, zones, package_id):
    image_map: dict[str, int] = {}
    created = skipped = 0
    for row in media.itertuples():
        if row.deploymentID not in dep_map:
            skipped += 1
            continue
        stored, digest = _media_file(folder, row)
        digest = digest or hashlib.sha256(f"camtrap-dp:{package_id}:{row.mediaID}".encode()).hexdigest()  # fmt: skip
        existing = session.scalar(select(Image.id).where(Image.sha256 == digest))
        if existing is not None:
            image_map[row.mediaID] = existing
            skipped += 1
            continue
        when, _ = _local(row.timestamp)
        image = Image(deployment_id=dep_map[row.deploymentID], path=stored, sha256=digest,
                      camera_time=when, captured_at=when, time_source="camtrap-dp")  # fmt: skip
        session.add(image)
        session.flush()
        image_map[row.mediaID] = image.id
        created += 1
    return image_map, created, skipped


def _import_observations(session, observations: pd.DataFrame, image_map: dict[str, int]):
    deer_by_id: dict[str, int] = {}
    detections = blanks = events = new_deer = 0
    existing_images = set(session.scalars(select(Detection.image_id).where(
        Detection.image_id.in_(list(image_map.values())), Detection.source == "camtrap-dp")))  # fmt: skip
    for row in observations.itertuples():
        if row.observationLevel != "media":
            events += 1
            continue
        category = CATEGORY.get(row.observationType)
        image_id = image_map.get(_clean(row.mediaID) or "")
        if category is None or image_id is None:
            blanks += 1
            continue
        if image_id in existing_images:
            continue  # imported before
        deer_id = None
        individual = _clean(row.individualID)
        sex_age = _sex_age(_clean(row.sex), _clean(row.lifeStage))
        if individual:
            if individual not in deer_by_id:
                deer = session.scalar(select(Deer).where(Deer.name == individual))
                if deer is None:
                    deer = Deer(name=individual, sex_age=sex_age, notes="Imported from Camtrap DP")
                    session.add(deer)
                    session.flush()
                    new_deer += 1
                deer_by_id[individual] = deer.id
            deer_id = deer_by_id[individual]
        has_box = _clean(row.bboxX) is not None and _clean(row.bboxWidth) is not None
        human = row.classificationMethod == "human"
        prob = _clean(row.classificationProbability)
        session.add(Detection(
            image_id=image_id,
            x=float(row.bboxX) if has_box else 0.0, y=float(row.bboxY) if has_box else 0.0,
            w=float(row.bboxWidth) if has_box else 1.0, h=float(row.bboxHeight) if has_box else 1.0,
            confidence=float(prob) if prob else 1.0, category=category, source="camtrap-dp",
            species=_clean(row.scientificName), sex_age=sex_age, deer_id=deer_id,
            match_status=(MatchStatus.CONFIRMED if human else MatchStatus.AUTO).value
            if deer_id else MatchStatus.PENDING.value,
            reviewed_by=_clean(row.classifiedBy) if human else None,
        ))  # fmt: skip
        detections += 1
    return detections, new_deer, blanks, events
