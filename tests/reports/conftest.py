"""A small archive built directly with the models: 3 stations, 3 deer, a fortnight of June 2024.

Known numbers (independence 30 min):
* station A (deployment 2024-06-01 00:00 → 2024-06-11 00:00 = 10 trap nights): deer 1 (doe) at
  06:00, 06:10, 06:50 on 1 June → 2 events; deer 2 (buck) at 06:15 → 1 event; an unidentified
  deer at 20:00 on 2 June → 1 event. 5 detections, 4 events.
* station B (no start/end: photos span 2024-06-03 05:00 → 2024-06-08 05:00 = 5 trap nights):
  deer 1 at 05:00 on 3 June, deer 3 (fawn) at 05:00 and 05:20 on 8 June (one photo with two
  boxes at 05:00: deer 3 and a rejected false box) → 2 events, 3 detections (rejected excluded).
* station C: deployment with no photos → 0 trap nights.
Totals: 8 detections, 6 events, 3 individuals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from PIL import Image as PILImage

from deertrack_core.models import Deer, Deployment, Detection, Image, MatchStatus

D = dt.datetime
DEER = "Odocoileus virginianus"


def _photo(root: Path, name: str) -> str:
    path = root / "photos" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    img = PILImage.new("RGB", (320, 240), (90, 110, 70))
    img.paste((140, 100, 60), (120, 80, 200, 180))
    img.save(path, quality=80)
    return f"photos/{name}"


@pytest.fixture
def archive(session, tmp_path, monkeypatch):
    """Fill the test database; returns a dict of ids. Photos live under DEERTRACK_DATA_ROOT."""
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    a = Deployment(station="A", camera="cam1", latitude=44.1, longitude=-92.5,
                   start=D(2024, 6, 1), end=D(2024, 6, 11), timezone="America/Chicago",
                   notes="synthetic demo deployment")  # fmt: skip
    b = Deployment(station="B", camera="cam2", latitude=44.2, longitude=-92.4,
                   timezone="America/Chicago")  # fmt: skip
    c = Deployment(station="C", camera="cam3", latitude=44.3, longitude=-92.3)
    doe = Deer(name="Doe-1", sex_age="doe")
    buck = Deer(name="Buck-2", sex_age="buck")
    fawn = Deer(name="Fawn-3", sex_age="fawn")
    session.add_all([a, b, c, doe, buck, fawn])
    session.flush()
    n = 0

    def image(dep, when):
        nonlocal n
        n += 1
        name = f"{dep.station}_{n:03d}.jpg"
        img = Image(deployment=dep, path=_photo(tmp_path, name),
                    sha256=hashlib.sha256(name.encode()).hexdigest(), captured_at=when,
                    camera_time=when, width=320, height=240)  # fmt: skip
        session.add(img)
        return img

    def det(img, deer, status=MatchStatus.CONFIRMED.value, species=DEER, sex_age="unknown"):
        d = Detection(image=img, x=0.375, y=0.33, w=0.25, h=0.42, confidence=0.93,
                      species=species, sex_age=sex_age, deer_id=deer.id if deer else None,
                      match_status=status, match_score=0.91 if deer else None)  # fmt: skip
        session.add(d)
        return d

    det(image(a, D(2024, 6, 1, 6, 0)), doe)
    det(image(a, D(2024, 6, 1, 6, 10)), doe, MatchStatus.AUTO.value)
    det(image(a, D(2024, 6, 1, 6, 15)), buck)
    det(image(a, D(2024, 6, 1, 6, 50)), doe)
    det(image(a, D(2024, 6, 2, 20, 0)), None, MatchStatus.PENDING.value)
    det(image(b, D(2024, 6, 3, 5, 0)), doe)
    shared = image(b, D(2024, 6, 8, 5, 0))
    det(shared, fawn)
    det(shared, None, MatchStatus.REJECTED.value)
    det(image(b, D(2024, 6, 8, 5, 20)), fawn, MatchStatus.AUTO.value)
    session.commit()
    return {"A": a.id, "B": b.id, "C": c.id, "doe": doe.id, "buck": buck.id, "fawn": fawn.id,
            "root": tmp_path}  # fmt: skip


@pytest.fixture
def make_request():
    from deertrack_core.reports.request import ExportRequest

    def make(report_type: str, **kw) -> ExportRequest:
        kw.setdefault("start_date", dt.date(2024, 6, 1))
        kw.setdefault("end_date", dt.date(2024, 6, 14))
        kw.setdefault("independence_minutes", 30.0)
        return ExportRequest(report_type=report_type, **kw)

    return make


def pdf_text(path: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def pdf_pages(path: Path) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


#: Report layout does not depend on the database: these tests run on SQLite only, while the
#: loaders (one SQL query per table) are exercised on both backends by the tests without it.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
