"""Capture histories and population size from real photos: camtrapR's 26 leopard-cat photos
(../shared/data, skipped when absent), whose XMP tags name three individuals at three stations.

The individuals are stored as reviewed identities (what a reviewer working from those tags would
record); the stations' coordinates are stand-ins, as the sample photos carry none.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import defaultdict

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.analysis.population import population_from_session
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Deer, Deployment, Detection, Image
from deertrack_core.reports.build import build_export
from deertrack_core.reports.request import ExportRequest

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NAME = re.compile(r"(Station[A-C])__(\d{4}-\d{2}-\d{2})__")


@pytest.fixture
def leopard_cats(engine, db_url, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    folder = shared_data / "camtrapR" / "sample_images_indiv_tag"
    assert ingest_folder(folder, url=db_url).ingested == 26
    with db.session_scope(db_url) as s:
        for k, dep in enumerate(s.scalars(select(Deployment).order_by(Deployment.station))):
            dep.latitude, dep.longitude = 5.0 + 0.01 * k, 117.0  # stand-ins: none in the data
        cats: dict[str, Deer] = {}
        truth = defaultdict(set)
        for img in s.scalars(select(Image)):
            cat = cats.setdefault(img.individual_tag, Deer(name=f"Cat {img.individual_tag}"))
            s.add(Detection(image=img, x=0, y=0, w=1, h=1, species="Leopard Cat", deer=cat,
                            match_status="confirmed", reviewed_by="xmp-tags"))  # fmt: skip
            station, day = NAME.search(img.path).groups()
            truth[f"Cat {img.individual_tag}"].add((station, dt.date.fromisoformat(day)))
    return truth


def test_weekly_histories_of_the_three_cats_follow_the_file_names(leopard_cats, db_url, tmp_path):
    request = ExportRequest("mark_inp", group_by="week")
    text = build_export(request, tmp_path, url=db_url).read_text()
    lines = [ln for ln in text.splitlines() if ln.rstrip().endswith(";")]
    assert len(lines) == 3
    first = dt.date(2009, 4, 5) - dt.timedelta(days=dt.date(2009, 4, 5).weekday())
    for line in lines:
        name = re.search(r"\*\s+\d+\s+(Cat \d)", line).group(1)
        history = line.split("*/")[1].split()[0]
        weeks = {(d - first).days // 7 for _, d in leopard_cats[name]}
        assert {i for i, c in enumerate(history) if c == "1"} == weeks


def test_secr_export_and_abundance_on_real_timestamps(leopard_cats, db_url, tmp_path):
    request = ExportRequest("secr_capthist", group_by="week")
    with zipfile.ZipFile(build_export(request, tmp_path, url=db_url)) as zf:
        capt = zf.read("capthist.csv").decode().splitlines()[1:]
        traps = zf.read("traps.txt").decode().splitlines()[1:]
    expected = {(cat, st) for cat, seen in leopard_cats.items() for st, _ in seen}
    stations = {row.split(",")[3] for row in capt}
    assert stations == {st for _, st in expected}
    assert len(traps) == 3
    with db.session_scope(db_url) as s:
        report = population_from_session(s, occasion="week")
    assert report.seen == 3
    assert "every identity counted was set by a reviewer" in report.id_note
    m0 = next(f for f in report.models if f.model == "M0")
    assert m0.n_hat is not None and m0.n_hat >= 3
    assert report.as_dict()["identities"] == "confirmed and automatic identities"
