"""CSV exports: every detection, and a camtrapR-style record table of independent records."""

from __future__ import annotations

import posixpath
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.analysis.events import independent_events
from deertrack_core.analysis.load import load_detections
from deertrack_core.analysis.provenance import attach_decisions
from deertrack_core.progress import ProgressCallback, noop
from deertrack_core.reports.camtrap_dp import scientific_name

DETECTION_HEADER = [
    "detection_id",
    "image_path",
    "captured_at",
    "station",
    "camera",
    "deployment_id",
    "bbox_x",
    "bbox_y",
    "bbox_w",
    "bbox_h",
    "confidence",
    "category",
    "species",
    "sex_age",
    "deer_id",
    "deer_name",
    "match_status",
    "match_score",
    "reviewed_by",
    "reviewed_at",
    # who identified the deer: confirmed (a reviewer), automatic (model at threshold), proposed
    "provenance",
    "identity_model",
    "identity_threshold",
    "scientific_name",
    "species_source",
]

#: camtrapR ``recordTable`` columns, in its order.
RECORD_TABLE_HEADER = [
    "Station",
    "Species",
    "Individual",
    "DateTimeOriginal",
    "Date",
    "Time",
    "delta.time.secs",
    "delta.time.mins",
    "delta.time.hours",
    "delta.time.days",
    "Directory",
    "FileName",
    "IdentityProvenance",  # not camtrapR's: confirmed / automatic / proposed (no individual)
]


def detections_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per detection, in time order, with the columns of :data:`DETECTION_HEADER`."""
    out = df.rename(columns={"path": "image_path", "x": "bbox_x", "y": "bbox_y", "w": "bbox_w",
                             "h": "bbox_h"})  # fmt: skip
    out = out.sort_values(["captured_at", "detection_id"])
    # Every animal as what it is (a raccoon stays a raccoon), as the species gate recorded it.
    out["scientific_name"] = scientific_name(out["species"], out.get("species_taxonomy")).where(
        out["category"] == "animal"
    )
    return out[DETECTION_HEADER]


def record_table(df: pd.DataFrame, minutes: float) -> pd.DataFrame:
    """camtrapR's record table: one row per independent record.

    A record is one photo of one subject (individual deer, else species) at a station: several
    boxes of the same subject on one photo are one record. Records closer than ``minutes`` to the
    last independent record of their subject at the station are dropped (camtrapR
    ``minDeltaTime`` with ``deltaTimeComparedTo = "lastIndependentRecord"``). ``delta.time.*``
    is the time since the previous kept record of the subject at the station (0 for the first),
    rounded like camtrapR (seconds whole, the others to one decimal).
    """
    if df.empty:
        return pd.DataFrame(columns=RECORD_TABLE_HEADER)
    records = df.copy()
    records["_species"] = records["species"].fillna("unidentified")
    records["_individual"] = records["deer_name"].where(records["deer_id"].notna(), None)
    records = records.drop_duplicates(subset=["image_id", "deer_id", "_species"])
    ev = independent_events(records, minutes)
    kept = ev[ev["independent"]].sort_values(["station", "subject", "captured_at"])
    secs = kept.groupby(["station", "subject"])["captured_at"].diff().dt.total_seconds()
    secs = secs.fillna(0.0).round(0)
    root = settings.data_root().as_posix()  # as paths.resolve, on strings (10^5 rows)
    split = [posixpath.split(p if p.startswith("/") else f"{root}/{p}") for p in kept["path"]]
    table = pd.DataFrame(
        {
            "Station": kept["station"],
            "Species": kept["_species"],
            "Individual": kept["_individual"],
            "DateTimeOriginal": kept["captured_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Date": kept["captured_at"].dt.strftime("%Y-%m-%d"),
            "Time": kept["captured_at"].dt.strftime("%H:%M:%S"),
            "delta.time.secs": secs.astype(np.int64),
            "delta.time.mins": (secs / 60).round(1),
            "delta.time.hours": (secs / 3600).round(1),
            "delta.time.days": (secs / 86400).round(1),
            "Directory": [d for d, _ in split],
            "FileName": [n for _, n in split],
            "IdentityProvenance": kept["provenance"].where(kept["deer_id"].notna(), "")
            if "provenance" in kept.columns
            else "",
        }
    )
    return table.sort_values(["Station", "Species", "DateTimeOriginal"], kind="stable")


def write_csv(
    session: Session,
    request,
    path: Path,
    *,
    kind: str,
    progress: ProgressCallback | None = None,
) -> int:
    """Write the ``detections`` or ``record_table`` CSV for ``request`` to ``path``; return rows.

    The detections CSV lists every box of the range, rejected ones and non-animals included
    (``category`` and ``match_status`` say which) with each identity's ``provenance`` and, for
    machine identities, the model and threshold; the record table uses animals only. With
    ``confirmed_only`` machine identities are left blank (their provenance still says so).
    """
    progress = progress or noop
    everything = kind == "detections"
    df = load_detections(
        session,
        start=request.start_date,
        end=request.end_date,
        deployments=request.deployments,
        include_rejected=everything,
        animals_only=not everything,
        confirmed_only=bool(getattr(request, "confirmed_only", False)),
    )
    progress(1, 5, f"loaded {len(df):,} detections")
    if everything:
        table = detections_table(attach_decisions(session, df))
    elif kind == "record_table":
        table = record_table(df, float(request.independence_minutes))
    else:
        raise ValueError(f"unknown CSV kind {kind!r}; use detections or record_table")
    progress(3, 5, f"writing {len(table):,} rows")
    table.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return len(table)
