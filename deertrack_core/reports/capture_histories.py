"""Capture histories for the tools biologists estimate abundance with.

* ``secr_capthist`` (zip): ``capthist.csv`` (``# Session,ID,Occasion,Detector,SexAge``, one row
  per deer, occasion and station where it was seen) and ``traps.txt`` (``Detector x y`` in
  metres, then the trap nights of each occasion as numeric usage), for
  ``secr::read.capthist(..., detector = "proximity", binary.usage = FALSE)``; plus the station
  and deer keys and a README.
* ``mark_inp``: MARK's encounter-history file, one ``/* deer */ 0101…0 1;`` line per deer over
  the occasions with any camera operating.
* ``detection_history`` (zip): camtrapR's ``detectionHistory()`` output for deer: stations ×
  occasions of 1 (seen), 0 (not seen) or NA (no camera operating), the effort matrix, and the
  occasions' dates.

Occasions are the request's ``group_by`` (day, week or month). Individuals are counted with the
request's identity scope (confirmed and automatic, or confirmed only); every file says which.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from deertrack_core.analysis import occasions, provenance
from deertrack_core.analysis.load import load_deployments, load_detections
from deertrack_core.errors import ValidationError
from deertrack_core.progress import ProgressCallback, noop

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Season:
    """What every capture-history writer starts from."""

    detections: pd.DataFrame  # with ``occasion`` (index into ``starts``; -1 outside)
    deployments: pd.DataFrame
    effort: pd.DataFrame  # stations × occasion starts: trap nights
    starts: pd.DatetimeIndex
    start: dt.date
    end: dt.date
    occasion: str
    confirmed_only: bool

    @property
    def describe(self) -> str:
        return (
            f"{self.start} to {self.end}, {len(self.starts)} "
            f"{occasions.ADJECTIVE[self.occasion]} occasions, "
            f"individuals from {provenance.SCOPE_TEXT[self.confirmed_only]}"
        )


def load_season(session: Session, request) -> Season:
    confirmed_only = bool(getattr(request, "confirmed_only", False))
    df = load_detections(session, start=request.start_date, end=request.end_date,
                         deployments=request.deployments, confirmed_only=confirmed_only)  # fmt: skip
    deps = load_deployments(session, request.deployments)
    start, end = request.start_date, request.end_date
    if start is None or end is None:
        first, last = deps["first_photo"].min(), deps["last_photo"].max()
        today = dt.date.today()
        start = start or (first.date() if pd.notna(first) else today)
        end = end or (last.date() if pd.notna(last) else today)
    starts = occasions.periods(start, end, request.group_by)
    df = df.assign(occasion=occasions.occasion_index(df["captured_at"], starts, request.group_by))
    effort = occasions.station_effort(deps, start, end, request.group_by)
    return Season(df, deps, effort, starts, start, end, request.group_by, confirmed_only)


# --- coordinates -------------------------------------------------------------------------------


def project_metres(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude/longitude (degrees) to x/y metres east/north of their centre (equirectangular
    about the centre: under 0.1 % off over the tens of kilometres of a camera grid)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    lat0, lon0 = float(np.mean(lat)), float(np.mean(lon))
    x = np.radians(lon - lon0) * EARTH_RADIUS_M * math.cos(math.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return x, y


def detector_ids(stations) -> dict[str, str]:
    """Station → secr detector identifier (no spaces, commas, tabs or underscores; unique)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for st in stations:
        base = re.sub(r"[^A-Za-z0-9.-]+", "-", str(st)).strip("-") or "station"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        out[str(st)] = name
    return out


def station_coordinates(deps: pd.DataFrame) -> pd.DataFrame:
    """Mean latitude/longitude per station; refuses stations without coordinates."""
    missing = deps[deps["latitude"].isna() | deps["longitude"].isna()]
    if len(missing):
        labels = ", ".join(f"{s}/{c}" if c else s for s, c in
                           zip(missing["station"], missing["camera"], strict=True))  # fmt: skip
        raise ValidationError({
            "deployments": f"secr needs every detector's location; these deployments have no "
            f"latitude/longitude: {labels}. Set them (deertrack ingest --deployments with lat "
            "and lon columns) or leave those deployments out of the request.",
        })  # fmt: skip
    return deps.groupby("station")[["latitude", "longitude"]].mean()


# --- writers -----------------------------------------------------------------------------------


def _sightings(season: Season) -> pd.DataFrame:
    ids = season.detections[
        season.detections["deer_id"].notna() & (season.detections["occasion"] >= 0)
    ]
    return ids.drop_duplicates(["deer_id", "occasion", "station"])


def secr_files(season: Season, session_name: str = "DeerTrack") -> dict[str, str]:
    """The files of the secr export, by name."""
    coords = station_coordinates(season.deployments)
    keys = detector_ids(coords.index)
    x, y = project_metres(coords["latitude"].to_numpy(), coords["longitude"].to_numpy())
    effort = season.effort.reindex(coords.index, fill_value=0.0)
    # An occasion whose deer photos carry no counted identity was not sampled for identities.
    effort.loc[:, unsampled(season)] = 0.0
    traps = ["# Detector x y usage (trap nights per occasion; binary.usage = FALSE)"]
    for (station, row), xi, yi in zip(effort.iterrows(), x, y, strict=True):
        usage = " ".join(f"{v:g}" for v in row.round(3).to_numpy())
        traps.append(f"{keys[station]} {xi:.1f} {yi:.1f} {usage}")
    seen = _sightings(season)
    sess = re.sub(r"[^A-Za-z0-9.-]+", "-", session_name)
    capt = pd.DataFrame({
        "Session": sess,
        "ID": seen["deer_id"].astype(int),
        "Occasion": seen["occasion"].astype(int) + 1,
        "Detector": seen["station"].map(keys),
        "SexAge": seen["sex_age"].fillna("unknown"),
    }).sort_values(["ID", "Occasion", "Detector"])  # fmt: skip
    buf = io.StringIO()
    buf.write("# Session,ID,Occasion,Detector,SexAge\n")
    capt.to_csv(buf, index=False, header=False, lineterminator="\n")
    stations = pd.DataFrame({
        "Detector": [keys[s] for s in coords.index], "station": coords.index,
        "latitude": coords["latitude"].round(6), "longitude": coords["longitude"].round(6),
        "x": np.round(x, 1), "y": np.round(y, 1),
    })  # fmt: skip
    deer = seen.groupby("deer_id").agg(name=("deer_name", "first"), sex_age=("sex_age", "first"))
    deer.index = deer.index.astype(int)
    occ = _occasion_table(season)
    readme = (
        f"DeerTrack capture histories for secr: {season.describe}.\n"
        f"{len(capt)} detections of {capt['ID'].nunique()} deer at {len(coords)} detectors.\n\n"
        "In R:\n"
        "  library(secr)\n"
        '  ch <- read.capthist("capthist.csv", "traps.txt", detector = "proximity",\n'
        '                      binary.usage = FALSE, covnames = "SexAge")\n'
        "  summary(ch)\n\n"
        "traps.txt: detector x y (metres east/north of the stations' centre, equirectangular)\n"
        "and the trap nights each detector ran in each occasion (0 = not operating, or deer\n"
        "photographed but none identified yet under the identities counted).\n"
        "stations.csv: detector ids, station names and coordinates; deer.csv: deer ids and\n"
        "names; occasions.csv: the dates of each occasion.\n"
    )
    return {
        "capthist.csv": buf.getvalue(),
        "traps.txt": "\n".join(traps) + "\n",
        "stations.csv": stations.to_csv(index=False, lineterminator="\n"),
        "deer.csv": deer.rename_axis("ID").to_csv(lineterminator="\n"),
        "occasions.csv": occ.to_csv(index=False, lineterminator="\n"),
        "README.txt": readme,
    }


def _occasion_table(season: Season) -> pd.DataFrame:
    b = occasions.bounds(season.starts, season.end)
    last = pd.to_datetime(b[:, 1]) - pd.Timedelta(days=1)
    first = pd.to_datetime(b[:, 0]).where(pd.to_datetime(b[:, 0]) >= pd.Timestamp(season.start),
                                          pd.Timestamp(season.start))  # fmt: skip
    return pd.DataFrame({
        "occasion": np.arange(1, len(season.starts) + 1),
        "first_day": first.strftime("%Y-%m-%d"), "last_day": last.strftime("%Y-%m-%d"),
        "trap_nights": season.effort.sum(axis=0).round(2).to_numpy(),
    })  # fmt: skip


def unsampled(season: Season) -> np.ndarray:
    """Occasions where deer were photographed but none has a counted identity (see
    :func:`occasions.without_identities`): not evidence that nobody was there."""
    return occasions.without_identities(season.detections, season.starts, season.occasion)


def mark_inp(season: Season) -> str:
    """MARK encounter histories over the occasions with any camera operating and identities."""
    blind = unsampled(season)
    used = (season.effort.sum(axis=0).to_numpy() > 0) & ~blind
    columns = np.flatnonzero(used)
    seen = _sightings(season)
    seen = seen[np.isin(seen["occasion"], columns)]
    col_of = {c: i for i, c in enumerate(columns)}
    lines = [
        f"/* DeerTrack closed captures: {season.describe}. */",
        f"/* {len(columns)} occasions with cameras operating, first days: "
        + " ".join(season.starts[columns].strftime("%Y-%m-%d"))
        + " */",
    ]
    if (~used & ~blind).any():
        lines.append(f"/* {int((~used & ~blind).sum())} occasions without any camera left out */")
    if blind.any():
        lines.append(f"/* {int(blind.sum())} occasions whose deer photos have no counted identity "
                     "(not reviewed) left out */")  # fmt: skip
    for deer_id, rows in seen.groupby("deer_id"):
        h = ["0"] * len(columns)
        for o in rows["occasion"]:
            h[col_of[int(o)]] = "1"
        name = str(rows["deer_name"].iloc[0] or "").replace("*/", "")
        sex = rows["sex_age"].iloc[0] or "unknown"
        lines.append(f"/* {int(deer_id)} {name} {sex} */ {''.join(h)} 1;")
    return "\n".join(lines) + "\n"


DEER_WORDS = ("deer", "odocoileus", "cervus", "capreolus", "dama")


def is_deer(df: pd.DataFrame) -> pd.Series:
    """Deer boxes: tied to a deer, named as a deer, or an animal box without a species (as the
    matcher treats it); boxes labelled with another species are not."""
    species = df["species"].fillna("").astype(str).str.lower()
    named = species.map(lambda s: any(w in s for w in DEER_WORDS))
    return df["deer_id"].notna() | named | (species == "")


def detection_history(season: Season) -> dict[str, str]:
    """camtrapR-style detection history of deer: stations × occasions (1, 0, NA), effort, dates."""
    deer = season.detections[is_deer(season.detections) & (season.detections["occasion"] >= 0)]
    stations = season.effort.index
    k = len(season.starts)
    hist = np.zeros((len(stations), k))
    row_of = {s: i for i, s in enumerate(stations)}
    for st, occ in deer[["station", "occasion"]].drop_duplicates().itertuples(index=False):
        if st in row_of:
            hist[row_of[st], int(occ)] = 1
    effort = season.effort.to_numpy()
    cols = [f"o{i + 1}" for i in range(k)]
    table = pd.DataFrame(np.where(effort > 0, hist, np.nan), index=stations, columns=cols)
    eff = pd.DataFrame(np.where(effort > 0, effort, np.nan), index=stations, columns=cols)

    def csv(frame: pd.DataFrame) -> str:
        return frame.rename_axis("Station").to_csv(na_rep="NA", float_format="%g",
                                                   lineterminator="\n")  # fmt: skip

    readme = (
        f"DeerTrack detection history of deer (camtrapR detectionHistory style): "
        f"{season.describe.split(', individuals')[0]}.\n"
        "detection_history.csv: 1 = deer photographed at the station in the occasion, 0 = not,\n"
        "NA = no camera operating. effort.csv: trap nights. occasions.csv: the dates.\n"
        "Deer boxes: tied to a deer, named as a deer, or animal boxes without a species.\n"
    )
    return {
        "detection_history.csv": csv(table),
        "effort.csv": csv(eff),
        "occasions.csv": _occasion_table(season).to_csv(index=False, lineterminator="\n"),
        "README.txt": readme,
    }


def _zip(path: Path, files: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def write_secr(session: Session, request, path: Path, *,
               progress: ProgressCallback | None = None) -> Path:  # fmt: skip
    progress = progress or noop
    season = load_season(session, request)
    progress(2, 5, f"capture histories of {season.detections['deer_id'].nunique()} deer")
    _zip(path, secr_files(season))
    return path


def write_mark(session: Session, request, path: Path, *,
               progress: ProgressCallback | None = None) -> Path:  # fmt: skip
    progress = progress or noop
    season = load_season(session, request)
    progress(2, 5, "encounter histories")
    path.write_text(mark_inp(season))
    return path


def write_detection_history(session: Session, request, path: Path, *,
                            progress: ProgressCallback | None = None) -> Path:  # fmt: skip
    progress = progress or noop
    season = load_season(session, request)
    progress(2, 5, "detection history")
    _zip(path, detection_history(season))
    return path
