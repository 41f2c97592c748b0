"""Load the rows an analysis needs: one SQL query per table into a pandas DataFrame.

Everything downstream (independent events, activity, effort, histories) is a pure function over
these frames, so it is tested on small hand-made tables and stays fast on 100,000 detections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from deertrack_core.analysis.provenance import apply_scope
from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus, SexAge
from deertrack_core.species import target_name

#: Columns of the frame :func:`load_detections` returns.
DETECTION_COLUMNS = [
    "detection_id",
    "image_id",
    "deployment_id",
    "station",
    "camera",
    "captured_at",
    "path",
    "x",
    "y",
    "w",
    "h",
    "confidence",
    "category",
    "source",
    "species",
    "sex_age",
    "deer_id",
    "match_status",
    "match_score",
    "reviewed_by",
    "reviewed_at",
    "species_source",
    "species_taxonomy",
]

#: Columns every analysis needs; always loaded (match_status: every identity's provenance).
REQUIRED = frozenset(
    {"detection_id", "image_id", "deployment_id", "station", "captured_at", "species",
     "sex_age", "deer_id", "match_status"}
)  # fmt: skip
#: Loaded only when named in ``columns``: the machine decision's burst track and candidates
#: (what the identification-error intervals resample).
ON_REQUEST = ["track_id", "candidates"]


def _column_expressions() -> dict:
    return {
        "detection_id": Detection.id,
        "image_id": Detection.image_id,
        "deployment_id": Image.deployment_id,
        "station": Deployment.station,
        "camera": Deployment.camera,
        # Raw values: SQLite's per-row string-to-datetime conversion is the slow part of loading
        # 10^5 rows; pandas parses the whole column at once instead.
        "captured_at": type_coerce(Image.captured_at, String()),
        "path": Image.path,
        "x": Detection.x,
        "y": Detection.y,
        "w": Detection.w,
        "h": Detection.h,
        "confidence": Detection.confidence,
        "category": Detection.category,
        "source": Detection.source,
        "species": Detection.species,
        "sex_age": Detection.sex_age,
        "deer_id": Detection.deer_id,
        "match_status": Detection.match_status,
        "match_score": Detection.match_score,
        "reviewed_by": Detection.reviewed_by,
        "reviewed_at": type_coerce(Detection.reviewed_at, String()),
        "track_id": Detection.track_id,
        "candidates": Detection.candidates,
        "species_source": Detection.species_source,
        "species_taxonomy": Detection.species_taxonomy,
    }


#: Species written when a deer detection carries no species of its own: the first target species
#: (``DEERTRACK_TARGET_SPECIES``; this is its default).
DEFAULT_SPECIES = "Odocoileus virginianus"


def day_bounds(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, ...]:
    """``[start 00:00, end+1 00:00)``: the half-open datetime range covering whole days."""
    lo = dt.datetime.combine(start, dt.time()) if start else None
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else None
    return lo, hi


def load_deer(session: Session) -> pd.DataFrame:
    """All individuals, with ``canonical_id``: the deer a merged one now lives on."""
    rows = session.execute(
        select(
            Deer.id,
            Deer.name,
            Deer.sex_age,
            Deer.notes,
            Deer.merged_into,
            Deer.first_seen,
            Deer.exemplar_detection_id,
        )
    ).all()
    cols = ["deer_id", "name", "sex_age", "notes", "merged_into", "first_seen", "exemplar_id"]
    deer = pd.DataFrame(rows, columns=cols)
    parent = dict(zip(deer["deer_id"], deer["merged_into"], strict=True))

    def canonical(i: int) -> int:
        seen = set()
        while parent.get(i) is not None and not pd.isna(parent[i]) and i not in seen:
            seen.add(i)
            i = int(parent[i])
        return i

    deer["canonical_id"] = [canonical(int(i)) for i in deer["deer_id"]]
    return deer


def load_detections(
    session: Session,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    deployments: Sequence[int] = (),
    include_rejected: bool = False,
    animals_only: bool = True,
    columns: Sequence[str] | None = None,
    confirmed_only: bool = False,
) -> pd.DataFrame:
    """Detections with their image, deployment and identity, one row per detection.

    ``columns`` narrows the load to those of :data:`DETECTION_COLUMNS` (plus :data:`REQUIRED`);
    default: all of them; :data:`ON_REQUEST` columns only when named.

    Every row gets its identity's ``provenance`` (see :mod:`provenance`); with
    ``confirmed_only`` machine identities are blanked, so counts of individuals include only
    the identities a reviewer set.

    Only timed photos inside ``[start, end]`` (whole days) of the given deployments (all when
    empty); photos whose time is implausible (``images.time_problem``) stay out until corrected. Merged deer are mapped onto the deer they were merged into; ``sex_age`` is the
    detection's class, else its deer's; ``deer_name`` is added. Rejected detections (a reviewer
    said "not a deer") are left out unless asked for.
    """
    lo, hi = day_bounds(start, end)
    exprs = _column_expressions()
    names = [c for c in DETECTION_COLUMNS if columns is None or c in columns or c in REQUIRED]
    names += [c for c in ON_REQUEST if columns is not None and c in columns]
    stmt = (
        select(*(exprs[c] for c in names))
        .join(Image, Detection.image_id == Image.id)
        .join(Deployment, Image.deployment_id == Deployment.id)
        .where(Image.captured_at.is_not(None), Image.time_problem.is_(None))
    )
    if lo is not None:
        stmt = stmt.where(Image.captured_at >= lo)
    if hi is not None:
        stmt = stmt.where(Image.captured_at < hi)
    if deployments:
        stmt = stmt.where(Image.deployment_id.in_(list(deployments)))
    if not include_rejected:
        stmt = stmt.where(Detection.match_status != MatchStatus.REJECTED.value)
    if animals_only:
        stmt = stmt.where(Detection.category == "animal")
    df = frame(session.connection().execute(stmt), names)
    df["captured_at"] = pd.to_datetime(df["captured_at"], format="ISO8601")
    if "reviewed_at" in df.columns:
        df["reviewed_at"] = pd.to_datetime(df["reviewed_at"], format="ISO8601")
    # Sorted here rather than in SQL: cheaper than the database's sort of the joined rows.
    df = df.sort_values(["captured_at", "detection_id"], kind="stable", ignore_index=True)
    return apply_scope(attach_identity(df, load_deer(session)), confirmed_only)


def attach_identity(df: pd.DataFrame, deer: pd.DataFrame) -> pd.DataFrame:
    """Resolve merged deer, fill the sex/age class from the deer, add ``deer_name``."""
    df = df.copy()
    raw = pd.to_numeric(df["deer_id"], errors="coerce").astype(float)
    canon = dict(zip(deer["deer_id"], deer["canonical_id"], strict=True))
    ids = raw.map(canon).fillna(raw)  # a deer missing from the table keeps its own id
    df["deer_id"] = ids.astype("Int64")
    key = ids.astype(float)
    df["deer_name"] = key.map(dict(zip(deer["deer_id"], deer["name"], strict=True)))
    deer_class = key.map(dict(zip(deer["deer_id"], deer["sex_age"], strict=True)))
    own = df["sex_age"].fillna(SexAge.UNKNOWN.value)
    df["sex_age"] = own.where(own != SexAge.UNKNOWN.value, deer_class).fillna(SexAge.UNKNOWN.value)
    df["species"] = df["species"].where(df["species"].notna() & (df["species"] != ""), None)
    # A box tied to an individual and of no recorded species is of the target species (the
    # species gate lets no other species be matched).
    df.loc[df["species"].isna() & df["deer_id"].notna(), "species"] = target_name()
    return df


def frame(result, columns: list[str]) -> pd.DataFrame:
    """A DataFrame from a SQLAlchemy result, built column-wise (fast on 10^5 rows).

    Pass a Core result (``session.connection().execute(stmt)``): ``session.execute`` runs
    column selects through the ORM's row loading, which doubled the cost of 10^5 rows.
    """
    rows = result.all()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def load_deployments(session: Session, deployments: Sequence[int] = ()) -> pd.DataFrame:
    """Deployments with their first and last timed photo and photo count (one query); photos
    with an implausible time (``images.time_problem``) do not count."""
    photos = (
        select(
            Image.deployment_id.label("deployment_id"),
            func.min(Image.captured_at).label("first_photo"),
            func.max(Image.captured_at).label("last_photo"),
            func.count(Image.id).label("n_images"),
        )
        .where(Image.captured_at.is_not(None), Image.time_problem.is_(None))
        .group_by(Image.deployment_id)
        .subquery()
    )
    stmt = (
        select(
            Deployment.id,
            Deployment.station,
            Deployment.camera,
            Deployment.latitude,
            Deployment.longitude,
            Deployment.start,
            Deployment.end,
            Deployment.timezone,
            Deployment.notes,
            photos.c.first_photo,
            photos.c.last_photo,
            func.coalesce(photos.c.n_images, 0),
        )
        .outerjoin(photos, photos.c.deployment_id == Deployment.id)
        .order_by(Deployment.station, Deployment.camera, Deployment.id)
    )
    if deployments:
        stmt = stmt.where(Deployment.id.in_(list(deployments)))
    cols = [
        "deployment_id",
        "station",
        "camera",
        "latitude",
        "longitude",
        "start",
        "end",
        "timezone",
        "notes",
        "first_photo",
        "last_photo",
        "n_images",
    ]
    df = frame(session.connection().execute(stmt), cols)
    for col in ("start", "end", "first_photo", "last_photo"):
        df[col] = pd.to_datetime(df[col])
    return df


def is_synthetic(deployments: pd.DataFrame, deer: pd.DataFrame) -> bool:
    """True when deployment or deer notes say the data are synthetic (the demo season)."""
    notes = pd.concat([deployments.get("notes", pd.Series()), deer.get("notes", pd.Series())])
    return bool(notes.fillna("").str.contains("synthetic", case=False).any())
