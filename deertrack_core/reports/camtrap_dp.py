"""Camtrap DP 1.0 export: a zip with datapackage.json, deployments.csv, media.csv and
observations.csv (https://camtrap-dp.tdwg.org), plus an ``individuals`` resource.

Observations come at two levels: one *media* observation per box (with bbox, individualID and
who classified it) or a *blank* one for a photo without animals, and one *event* observation per
independent event (same subject, same station, within the independence interval).
:func:`import_package` (in :mod:`camtrap_import`) reads such a package back.
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.analysis.effort import operating_periods
from deertrack_core.analysis.events import independent_events
from deertrack_core.analysis.load import day_bounds, frame, load_deployments, load_detections
from deertrack_core.analysis.provenance import Provenance, attach_decisions, classify
from deertrack_core.models import Image
from deertrack_core.progress import ProgressCallback, noop
from deertrack_core.reports.camtrap_import import PackageImportSummary, import_package

VERSION = "1.0.2"
BASE = f"https://raw.githubusercontent.com/tdwg/camtrap-dp/{VERSION}"
PROFILE = f"{BASE}/camtrap-dp-profile.json"
SCHEMAS = {name: f"{BASE}/{name}-table-schema.json" for name in ("deployments", "media", "observations")}  # fmt: skip
VERNACULAR = {"Odocoileus virginianus": "white-tailed deer", "Odocoileus hemionus": "mule deer"}
#: Common names people and detectors write, mapped to the scientific names Camtrap DP wants.
SCIENTIFIC = {"white-tailed deer": "Odocoileus virginianus", "whitetail": "Odocoileus virginianus",
              "whitetail deer": "Odocoileus virginianus", "deer": "Odocoileus virginianus",
              "mule deer": "Odocoileus hemionus"}  # fmt: skip


def scientific_name(species: pd.Series, taxonomy: pd.Series | None = None) -> pd.Series:
    """The scientific name of each recorded species: from its taxonomy when recorded (the
    species gate's), else a known common name's, else the name unchanged."""
    from deertrack_core.species import scientific_name as of

    if taxonomy is None:
        taxonomy = pd.Series([None] * len(species), index=species.index)

    def one(label, tax):
        if not isinstance(label, str):
            return label
        mapped = SCIENTIFIC.get(label.strip().lower())
        return mapped or of(label, tax if isinstance(tax, str) else None)

    return pd.Series(
        [one(s, t) for s, t in zip(species, taxonomy, strict=True)],
        index=species.index,
        dtype=object,
    )


CATEGORY_TYPE = {"animal": "animal", "person": "human", "vehicle": "vehicle"}
SEX = {"buck": "male", "doe": "female"}
LIFE_STAGE = {"buck": "adult", "doe": "adult", "fawn": "juvenile"}

#: The columns of each table, in the order of the official table schemas.
COLUMNS = {
    "deployments": ["deploymentID", "locationID", "locationName", "latitude", "longitude",
                    "coordinateUncertainty", "deploymentStart", "deploymentEnd", "setupBy",
                    "cameraID", "cameraModel", "cameraDelay", "cameraHeight", "cameraDepth",
                    "cameraTilt", "cameraHeading", "detectionDistance", "timestampIssues",
                    "baitUse", "featureType", "habitat", "deploymentGroups", "deploymentTags",
                    "deploymentComments"],
    "media": ["mediaID", "deploymentID", "captureMethod", "timestamp", "filePath", "filePublic",
              "fileName", "fileMediatype", "exifData", "favorite", "mediaComments"],
    "observations": ["observationID", "deploymentID", "mediaID", "eventID", "eventStart",
                     "eventEnd", "observationLevel", "observationType", "cameraSetupType",
                     "scientificName", "count", "lifeStage", "sex", "behavior", "individualID",
                     "individualPositionRadius", "individualPositionAngle", "individualSpeed",
                     "bboxX", "bboxY", "bboxWidth", "bboxHeight", "classificationMethod",
                     "classifiedBy", "classificationTimestamp", "classificationProbability",
                     "observationTags", "observationComments"],
}  # fmt: skip

__all__ = ["COLUMNS", "PackageImportSummary", "import_package", "write_package"]


def iso_local(times: pd.Series, tz: str) -> pd.Series:
    """Naive camera-local times as ISO 8601 with the zone's UTC offset (``...T06:00:00-05:00``)."""
    times = pd.to_datetime(times)
    try:
        aware = times.dt.tz_localize(tz, ambiguous=np.zeros(len(times), dtype=bool),
                                     nonexistent="shift_forward")  # fmt: skip
    except Exception:  # noqa: BLE001 - an unknown zone name: say UTC rather than fail
        aware = times.dt.tz_localize("UTC")
    # strftime("%z") on zone-aware values runs per element; format the naive wall time and add
    # the offset, which takes only a few distinct values (standard and daylight time).
    local = aware.dt.tz_localize(None)
    offset = (local - aware.dt.tz_convert("UTC").dt.tz_localize(None)).dt.total_seconds() // 60
    labels = {m: _offset_label(int(m)) for m in offset.dropna().unique()}
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S") + offset.map(labels)


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _by_deployment(frame: pd.DataFrame, column: str, zones: dict[int, str]) -> pd.Series:
    out = pd.Series(index=frame.index, dtype=object)
    for dep_id, idx in frame.groupby("deployment_id").groups.items():
        out.loc[idx] = iso_local(frame.loc[idx, column], zones.get(dep_id, "UTC"))
    return out


def _file_path(stored: str) -> str:
    """Camtrap DP wants a relative path or a URL: absolute paths become file:// URLs."""
    return Path(stored).as_uri() if stored.startswith("/") else stored


def _mediatype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "image/jpeg"


def _load_images(session: Session, request) -> pd.DataFrame:
    lo, hi = day_bounds(request.start_date, request.end_date)
    stmt = select(Image.id, Image.deployment_id, Image.path,
                  type_coerce(Image.captured_at, String()), Image.sequence_id)  # fmt: skip
    stmt = stmt.where(Image.captured_at.is_not(None), Image.time_problem.is_(None))
    stmt = stmt.order_by(Image.captured_at, Image.id)
    if lo is not None:
        stmt = stmt.where(Image.captured_at >= lo)
    if hi is not None:
        stmt = stmt.where(Image.captured_at < hi)
    if request.deployments:
        stmt = stmt.where(Image.deployment_id.in_(list(request.deployments)))
    cols = ["image_id", "deployment_id", "path", "captured_at", "sequence_id"]
    df = frame(session.connection().execute(stmt), cols)
    df["captured_at"] = pd.to_datetime(df["captured_at"], format="ISO8601")
    return df


def deployments_csv(deps: pd.DataFrame) -> pd.DataFrame:
    deps = operating_periods(deps)
    deps = deps[deps["op_start"].notna() & deps["op_end"].notna()]
    zones = dict(zip(deps["deployment_id"], deps["timezone"], strict=True))
    return pd.DataFrame(
        {
            "deploymentID": deps["deployment_id"].astype(str),
            "locationID": deps["station"],
            "locationName": deps["station"],
            "latitude": deps["latitude"],
            "longitude": deps["longitude"],
            "deploymentStart": _by_deployment(deps, "op_start", zones),
            "deploymentEnd": _by_deployment(deps, "op_end", zones),
            "cameraID": deps["camera"],
            "deploymentComments": deps["notes"].fillna(""),
        }
    )


def media_csv(images: pd.DataFrame, zones: dict[int, str]) -> pd.DataFrame:
    names = pd.Series([p.rsplit("/", 1)[-1] for p in images["path"]], index=images.index)
    extensions = names.str.rsplit(".", n=1).str[-1].str.lower()
    types = {e: _mediatype(f"x.{e}") for e in extensions.unique()}
    return pd.DataFrame(
        {
            "mediaID": images["image_id"].astype(str),
            "deploymentID": images["deployment_id"].astype(str),
            "captureMethod": "activityDetection",
            "timestamp": _by_deployment(images, "captured_at", zones),
            "filePath": images["path"].map(_file_path),
            "filePublic": "false",
            "fileName": names,
            "fileMediatype": extensions.map(types),
        }
    )


def _machine_by(ev: pd.DataFrame) -> pd.Series:
    """ "DeerTrack re-identification (model at threshold t)" of each machine identity."""
    base = pd.Series("DeerTrack re-identification", index=ev.index)
    if "identity_model" not in ev.columns:
        return base
    threshold = pd.to_numeric(ev["identity_threshold"], errors="coerce")
    detail = " (" + ev["identity_model"].astype("string") + " at threshold " + threshold.map(
        lambda t: f"{t:.3f}", na_action="ignore").astype("string") + ")"  # fmt: skip
    return (base + detail.fillna("")).astype(object)


def observations_csv(
    dets: pd.DataFrame,
    images: pd.DataFrame,
    zones: dict[int, str],
    minutes: float,
    same_probability=None,
) -> pd.DataFrame:
    """Media observations (one per box, a blank per photo without one) and event observations.

    ``classificationMethod`` is ``human`` for an identity a reviewer set, ``machine`` otherwise;
    ``classifiedBy`` names the reviewer, the re-identification model and threshold, or the
    detector. ``same_probability`` (score → P(same deer)) turns match scores into
    ``classificationProbability``.
    """
    ev = independent_events(dets, minutes) if len(dets) else dets.assign(event_id=[])
    ev = ev.assign(ts=_by_deployment(ev, "captured_at", zones) if len(ev) else [])
    prov = ev["provenance"] if "provenance" in ev.columns else classify(
        ev["match_status"], ev["deer_id"])  # fmt: skip
    human = prov == Provenance.CONFIRMED.value
    machine_id = prov == Provenance.AUTOMATIC.value
    # A deer's box is as certain as its identity (P(same deer) calibrated on reviewed pairs
    # when given, else the match score), an unidentified box as the detector's confidence; a
    # column of None (no scores yet) must still be numeric.
    score = pd.to_numeric(ev["match_score"], errors="coerce")
    if same_probability is not None:
        score = pd.Series(same_probability(score.to_numpy()), index=score.index)
    confidence = pd.to_numeric(ev["confidence"], errors="coerce")
    prob = score.where(ev["deer_id"].notna(), confidence).clip(0, 1)
    reviewed = pd.to_datetime(ev["reviewed_at"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    animal = ev["category"] == "animal"
    media = pd.DataFrame(
        {
            "observationID": "det" + ev["detection_id"].astype(str),
            "deploymentID": ev["deployment_id"].astype(str),
            "mediaID": ev["image_id"].astype(str),
            "eventID": "event" + ev["event_id"].astype(str),
            "eventStart": ev["ts"],
            "eventEnd": ev["ts"],
            "observationLevel": "media",
            "observationType": ev["category"].map(CATEGORY_TYPE).fillna("unknown"),
            "scientificName": scientific_name(ev["species"], ev.get("species_taxonomy")).where(
                animal
            ),
            "count": 1,
            "lifeStage": ev["sex_age"].map(LIFE_STAGE).where(animal),
            "sex": ev["sex_age"].map(SEX).where(animal),
            "individualID": ev["deer_id"].astype("string"),
            "bboxX": ev["x"].clip(0, 1).round(5),
            "bboxY": ev["y"].clip(0, 1).round(5),
            "bboxWidth": ev["w"].clip(1e-6, 1).round(5),
            "bboxHeight": ev["h"].clip(1e-6, 1).round(5),
            "classificationMethod": np.where(human, "human", "machine"),
            "classifiedBy": ev["reviewed_by"]
            .fillna("a DeerTrack reviewer")
            .where(human, _machine_by(ev).where(machine_id, ev["source"] + " (detector)")),
            "classificationTimestamp": reviewed.where(human),
            "classificationProbability": prob.where(~human).round(4),
        }
    )
    blank_images = images[~images["image_id"].isin(dets["image_id"])]
    blank_ts = _by_deployment(blank_images, "captured_at", zones) if len(blank_images) else []
    blanks = pd.DataFrame(
        {
            "observationID": "blank" + blank_images["image_id"].astype(str),
            "deploymentID": blank_images["deployment_id"].astype(str),
            "mediaID": blank_images["image_id"].astype(str),
            "eventStart": blank_ts,
            "eventEnd": blank_ts,
            "observationLevel": "media",
            "observationType": "blank",
        }
    )
    events = _event_rows(ev.assign(_human=human), animal, zones)
    out = pd.concat([media, blanks, events], ignore_index=True)
    out["count"] = out["count"].astype("Int64")
    return out


def _event_rows(ev: pd.DataFrame, animal: pd.Series, zones: dict[int, str]) -> pd.DataFrame:
    cols = ["event_id", "deployment_id", "species", "sex_age", "deer_id", "captured_at", "_human"]
    cols += [c for c in ("species_taxonomy",) if c in ev.columns]
    grouped = ev.loc[animal, cols].groupby("event_id")
    first = grouped.first()
    # An event of one deer is as human as its identities: every record's identity set by a
    # reviewer -> human; any machine identity (or no identity: the species) -> machine.
    reviewed = grouped["_human"].all() & first["deer_id"].notna()
    first["start"] = grouped["captured_at"].min()
    first["end"] = grouped["captured_at"].max()
    return pd.DataFrame(
        {
            "observationID": "event" + first.index.astype(str),
            "deploymentID": first["deployment_id"].astype(str),
            "eventID": "event" + first.index.astype(str),
            "eventStart": _by_deployment(first, "start", zones) if len(first) else [],
            "eventEnd": _by_deployment(first, "end", zones) if len(first) else [],
            "observationLevel": "event",
            "observationType": "animal",
            "scientificName": scientific_name(first["species"], first.get("species_taxonomy")),
            "count": 1,
            "lifeStage": first["sex_age"].map(LIFE_STAGE),
            "sex": first["sex_age"].map(SEX),
            "individualID": first["deer_id"].astype("string"),
            "classificationMethod": np.where(reviewed, "human", "machine"),
            "classifiedBy": np.where(
                reviewed,
                "DeerTrack independent events of reviewer-set identities",
                "DeerTrack independent events",
            ),
        }
    ).reset_index(drop=True)


def descriptor(deps: pd.DataFrame, obs: pd.DataFrame, dets: pd.DataFrame, request,
               created: dt.datetime, start: dt.date, end: dt.date) -> dict:  # fmt: skip
    """The datapackage.json of an export."""
    coords = deps[["longitude", "latitude"]].dropna()
    if len(coords):
        lo, hi = coords.min(), coords.max()
        ring = [[lo.longitude, lo.latitude], [hi.longitude, lo.latitude],
                [hi.longitude, hi.latitude], [lo.longitude, hi.latitude],
                [lo.longitude, lo.latitude]]  # fmt: skip
        spatial = {"type": "Polygon", "coordinates": [[[round(float(v), 5) for v in p] for p in ring]]}  # fmt: skip
    else:
        spatial = {"type": "Point", "coordinates": [0.0, 0.0]}
    names = sorted(set(obs["scientificName"].dropna()))
    taxonomic = [
        {"scientificName": n, "taxonRank": "species" if " " in n else "genus"}
        | ({"vernacularNames": {"eng": VERNACULAR[n]}} if n in VERNACULAR else {})
        for n in names
    ]
    individuals = dets[dets["deer_id"].notna()].drop_duplicates("deer_id").sort_values("deer_id")
    missing = int(deps["latitude"].isna().sum() + deps["longitude"].isna().sum())
    description = "Camera-trap records exported by DeerTrack with individual re-identification."
    if missing:
        description += " Some deployments have no coordinates: fill latitude/longitude in."
    resources = [
        {
            "name": name,
            "path": f"{name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": SCHEMAS[name],
        }  # fmt: skip
        for name in ("deployments", "media", "observations")
    ]
    resources.append(
        {
            "name": "individuals",
            "description": "DeerTrack individuals referenced by observations.individualID.",
            "data": [
                {
                    "id": str(r.deer_id),
                    "individualName": r.deer_name,
                    "sexAge": r.sex_age,
                    "scientificName": r.species,
                }  # fmt: skip
                for r in individuals.itertuples()
            ],
        }
    )
    return {
        "resources": resources,
        "profile": PROFILE,
        "name": f"deertrack-{start.isoformat()}-{end.isoformat()}",
        "id": str(uuid.uuid4()),
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": f"DeerTrack camera-trap records {start.isoformat()} to {end.isoformat()}",
        "contributors": [{"title": settings.current_user(), "role": "contact"}],
        "description": description,
        "version": "1.0",
        "project": {
            "title": "DeerTrack camera-trap survey",
            "samplingDesign": "targeted",
            "captureMethod": ["activityDetection"],
            "individualAnimals": True,
            "observationLevel": ["media", "event"],
        },
        "spatial": spatial,
        "temporal": {"start": start.isoformat(), "end": end.isoformat()},
        "taxonomic": taxonomic,
        "independenceMinutes": float(request.independence_minutes),
    }


def _same_probability(session: Session):
    """Score → P(same deer) from the reviewed evidence; None when there is too little."""
    from deertrack_core.reid.calibration import InsufficientEvidenceError
    from deertrack_core.reid.same_probability import from_session

    try:
        return from_session(session).predict
    except InsufficientEvidenceError:
        return None


def write_package(session: Session, request, path: Path, *,
                  progress: ProgressCallback | None = None,
                  created: dt.datetime | None = None) -> Path:  # fmt: skip
    """Write the Camtrap DP zip for ``request`` to ``path``."""
    progress = progress or noop
    created = created or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    deps = load_deployments(session, request.deployments)
    images = _load_images(session, request)
    dets = load_detections(session, start=request.start_date, end=request.end_date,
                           deployments=request.deployments, animals_only=False,
                           confirmed_only=bool(getattr(request, "confirmed_only", False)))  # fmt: skip
    dets = attach_decisions(session, dets)
    progress(1, 5, f"loaded {len(images):,} photos and {len(dets):,} detections")
    dep_table = deployments_csv(deps)
    kept = set(dep_table["deploymentID"].astype(int))
    images = images[images["deployment_id"].isin(kept)]
    dets = dets[dets["deployment_id"].isin(kept)]
    zones = dict(zip(deps["deployment_id"], deps["timezone"], strict=True))
    media = media_csv(images, zones)
    obs = observations_csv(dets, images, zones, float(request.independence_minutes),
                           _same_probability(session))  # fmt: skip
    progress(3, 5, "writing the package")
    start = request.start_date or (images["captured_at"].min().date() if len(images) else created.date())  # fmt: skip
    end = request.end_date or (images["captured_at"].max().date() if len(images) else created.date())  # fmt: skip
    meta = descriptor(deps[deps["deployment_id"].isin(kept)], obs, dets, request, created, start, end)  # fmt: skip
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("datapackage.json", json.dumps(meta, indent=2, ensure_ascii=False))
        for name, table in (("deployments", dep_table), ("media", media), ("observations", obs)):
            table = table.reindex(columns=COLUMNS[name])
            zf.writestr(f"{name}.csv", table.to_csv(index=False, lineterminator="\n"))
    return path
