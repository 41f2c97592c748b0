"""Which deployment (station, camera) a photo belongs to: folder layout or a deployments CSV.

Layouts (``--layout``), read below the folder given to ingest:

* ``auto`` (default): a camtrapR-renamed file (``Station__[Camera__]date__time(n).JPG``) names its
  own station and camera, and a folder below the station's folder is taken as a species folder
  (camtrapR ``sample_images_species_dir``). Any other photo belongs to the station named by its
  nearest folder, skipping memory-card folders (``DCIM``, ``100RECNX``, ``100MEDIA``...) and date
  folders (``2024-09``, ``20240915``). A photo lying directly in the ingested folder belongs to a
  station named after that folder. ``Station/Camera/photo`` needs ``--layout station/camera``:
  no rule can tell a camera folder from a station folder by its name.
* a pattern of levels: ``station``, ``station/camera``, ``station/species``,
  ``station/camera/species``; ``*`` skips a level (``*/station`` for a folder of projects).
  Levels deeper than the pattern are ignored.

A deployments CSV overrides the layout: each row names a station (and camera) and the folder under
the ingested folder that holds its photos (``folder``; default the station's own folder). The
longest matching folder wins; rows sharing a folder are told apart by their start/end window.
A photo that no row covers is reported as failed, never put in an invented deployment.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deertrack_core.errors import IngestError
from deertrack_core.ingest.exif import camtrapr_station
from deertrack_core.ingest.files import walk_photos

LAYOUTS = ("auto", "station", "station/camera", "station/species", "station/camera/species")
# Folders that never name a station: memory-card folders (DCIM, 100RECNX, 100MEDIA, 100_BTCF)
# and date folders (2024-09, 20240915, 2024_09_15).
_NOT_A_STATION = re.compile(
    r"^(DCIM|\d{3}[A-Z0-9_]{5}|\d{3}_[A-Z0-9]{4}|(19|20)\d{2}[-_]?\d{2}([-_]?\d{2})?)$", re.I
)

_ALIASES = {
    "station": ("station", "station_id", "location", "locationname", "site"),
    "camera": ("camera", "camera_id", "cameraid", "camera_label"),
    "folder": ("folder", "path", "prefix", "directory", "dir"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "start": ("start", "deployment_start", "setup_date", "deploymentstart"),
    "end": ("end", "deployment_end", "retrieval_date", "deploymentend"),
    "timezone": ("timezone", "tz", "time_zone"),
    "clock_offset_s": ("clock_offset_s", "clock_offset", "offset_s", "offset_seconds"),
    "notes": ("notes", "note", "comment", "comments"),
}


@dataclass(frozen=True)
class DeploymentRow:
    """One deployment as declared in a deployments CSV."""

    station: str
    camera: str = ""
    folder: str = ""
    latitude: float | None = None
    longitude: float | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    timezone: str | None = None
    clock_offset_s: float | None = None
    notes: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Placement:
    """Where a photo belongs: the deployment key, a species from a folder, the CSV row if any."""

    station: str
    camera: str
    species: str | None = None
    row: DeploymentRow | None = None


def walk_images(root: Path) -> tuple[list[Path], int]:
    """All photos under ``root`` in a stable order, and the number of other files skipped.

    Hidden files and folders (``.`` names, e.g. macOS ``._IMG0001.JPG``) are skipped, and so are
    special files (see :func:`deertrack_core.ingest.files.walk_photos`, which also says why).
    """
    found = walk_photos(root)
    return found.files, found.ignored


def _parse_time(text: str, what: str, line: int) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise IngestError(
        f"deployments CSV line {line}: {what} {text!r} is not a date.",
        "Write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS.",
    )


def _parse_float(text: str, what: str, line: int) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise IngestError(
            f"deployments CSV line {line}: {what} {text!r} is not a number.",
            f"Write {what} as a decimal number or leave it empty.",
        ) from None


def read_deployments_csv(path: Path) -> list[DeploymentRow]:
    """Read a deployments CSV (column names are case-insensitive; common aliases accepted)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            cols = {
                key: next((header[a] for a in aliases if a in header), None)
                for key, aliases in _ALIASES.items()
            }
            if cols["station"] is None:
                raise IngestError(
                    f"deployments CSV {path} has no station column (found: {', '.join(header)}).",
                    "Add a 'station' column; optional: camera, folder, lat, lon, start, end, notes, "
                    "timezone, clock_offset_s.",
                )
            rows = []
            for line, rec in enumerate(reader, start=2):

                def get(key: str, rec=rec) -> str:
                    col = cols[key]
                    return (rec.get(col) or "").strip() if col else ""

                station = get("station")
                if not station:
                    raise IngestError(
                        f"deployments CSV line {line}: the station is empty.",
                        "Give every row a station name.",
                    )
                camera = get("camera")
                folder = get("folder").replace("\\", "/").strip("/")
                rows.append(
                    DeploymentRow(
                        station=station,
                        camera=camera,
                        folder=folder or (f"{station}/{camera}" if camera else station),
                        latitude=_parse_float(get("latitude"), "lat", line),
                        longitude=_parse_float(get("longitude"), "lon", line),
                        start=_parse_time(get("start"), "start", line),
                        end=_parse_time(get("end"), "end", line),
                        timezone=get("timezone") or None,
                        clock_offset_s=_parse_float(get("clock_offset_s"), "clock_offset_s", line),
                        notes=get("notes") or None,
                        line=line,
                    )
                )
    except OSError as exc:
        raise IngestError(
            f"Cannot read the deployments CSV {path}: {exc.strerror or exc}.",
            "Check the path given to --deployments.",
        ) from exc
    if not rows:
        raise IngestError(f"deployments CSV {path} has no rows.", "Add one row per deployment.")
    return rows


class Locator:
    """Places photos in deployments by a layout or by deployments CSV rows."""

    def __init__(self, root: Path, layout: str = "auto", rows: list[DeploymentRow] | None = None):
        layout = layout.strip().strip("/") or "auto"
        tokens = layout.split("/")
        if layout != "auto" and (
            "station" not in tokens
            or any(t not in ("station", "camera", "species", "*") for t in tokens)
        ):
            raise IngestError(
                f"Unknown folder layout {layout!r}.",
                f"Use one of {', '.join(LAYOUTS)} (a '*' level skips a folder, e.g. '*/station').",
            )
        self.root = root
        self.layout = layout
        self.tokens = tokens
        self.rows = rows or []

    def place(self, rel: PurePosixPath, camera_time: dt.datetime | None) -> Placement:
        """The deployment of the photo at ``rel`` (relative to the root). Raises IngestError."""
        dirs = rel.parts[:-1]
        if self.rows:
            return self._from_rows(dirs, camera_time)
        if self.layout == "auto":
            return self._auto(dirs, rel.name)
        values: dict[str, str] = {}
        for token, part in zip(self.tokens, dirs, strict=False):
            if token != "*":
                values[token] = part
        station = values.get("station") or self.root.name
        return Placement(station, values.get("camera", ""), values.get("species"))

    def _auto(self, dirs: tuple[str, ...], name: str) -> Placement:
        named = camtrapr_station(name)
        if named:
            station, camera = named
            species = None
            if station in dirs:
                below = [d for d in dirs[dirs.index(station) + 1 :] if d != camera]
                species = below[-1] if below else None
            return Placement(station, camera, species)
        for part in reversed(dirs):
            if not _NOT_A_STATION.match(part):
                return Placement(part, "")
        return Placement(self.root.name, "")

    def _from_rows(self, dirs: tuple[str, ...], when: dt.datetime | None) -> Placement:
        path = "/".join(dirs)
        best: list[DeploymentRow] = []
        best_len = -1
        for row in self.rows:
            folder = row.folder
            if folder == "." or folder == "":
                length = 0
            elif path == folder or path.startswith(folder + "/"):
                length = len(folder)
            else:
                continue
            if length > best_len:
                best, best_len = [row], length
            elif length == best_len:
                best.append(row)
        if not best:
            raise IngestError(
                f"no row of the deployments CSV covers the folder '{path or '.'}'",
                "Add a row whose folder is that folder (or one above it).",
            )
        if len(best) > 1 and when is not None:
            inside = [
                r
                for r in best
                if (r.start is None or when >= r.start)
                and (r.end is None or when < r.end + dt.timedelta(days=1 if _is_date(r.end) else 0))
            ]
            best = inside or best
        row = best[0]
        return Placement(row.station, row.camera, None, row)


def _is_date(value: dt.datetime) -> bool:
    return value.time() == dt.time(0, 0)
