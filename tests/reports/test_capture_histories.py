"""Capture-history exports (secr, MARK, camtrapR detection history) over the small archive.

Weekly occasions over 1-14 June 2024 are the ISO weeks starting 27 May, 3 June and 10 June:
the doe is seen in weeks 1 (A) and 2 (B), the buck in week 1 (A), the fawn in week 2 (B).
Station A ran 1 June 00:00 → 11 June 00:00: 2, 7 and 1 nights in the three weeks; B (no
start/end) from its first to its last photo, 3 June 05:00 → 8 June 05:20; C never.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile

import numpy as np
import pytest

from deertrack_core.errors import ValidationError
from deertrack_core.models import Deployment
from deertrack_core.reports import capture_histories as ch
from deertrack_core.reports.build import build_export
from tests.reports.conftest import sqlite_only


def unzip(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()}


def test_projection_to_metres_has_known_distances():
    x, y = ch.project_metres(np.array([44.1, 44.2, 44.3]), np.array([-92.5, -92.4, -92.3]))
    degree = math.radians(1) * ch.EARTH_RADIUS_M  # 111,195 m
    assert y.tolist() == pytest.approx([-0.1 * degree, 0.0, 0.1 * degree], abs=1e-6)
    assert x[0] == pytest.approx(-0.1 * degree * math.cos(math.radians(44.2)))
    assert x[1] == pytest.approx(0.0, abs=1e-6)


def test_detector_ids_are_safe_for_secr_and_unique():
    ids = ch.detector_ids(["Ridge 01", "Ridge_01", "A,B", "ok-1"])
    assert ids == {"Ridge 01": "Ridge-01", "Ridge_01": "Ridge-01-2", "A,B": "A-B", "ok-1": "ok-1"}


def test_secr_capthist_and_traps(archive, make_request, tmp_path, db_url):
    files = unzip(build_export(make_request("secr_capthist"), tmp_path, url=db_url))
    lines = files["capthist.csv"].splitlines()
    assert lines[0] == "# Session,ID,Occasion,Detector,SexAge"
    rows = sorted(tuple(r) for r in csv.reader(lines[1:]))
    doe, buck, fawn = (str(archive[k]) for k in ("doe", "buck", "fawn"))
    assert rows == sorted([
        ("DeerTrack", doe, "1", "A", "doe"), ("DeerTrack", doe, "2", "B", "doe"),
        ("DeerTrack", buck, "1", "A", "buck"), ("DeerTrack", fawn, "2", "B", "fawn"),
    ])  # fmt: skip
    traps = {t.split()[0]: t.split()[1:] for t in files["traps.txt"].splitlines()[1:]}
    assert traps["A"][2:] == ["2", "7", "1"]
    assert [float(v) for v in traps["B"][2:]] == pytest.approx([0.0, 5.01, 0.0], abs=0.01)
    assert traps["C"][2:] == ["0", "0", "0"]
    assert float(traps["B"][0]) == pytest.approx(0.0, abs=0.1)  # B is the centre
    assert float(traps["A"][1]) == pytest.approx(-11119.5, abs=1)  # 0.1 degree south
    assert "read.capthist" in files["README.txt"]


def test_secr_refuses_stations_without_coordinates(archive, make_request, session):
    session.get(Deployment, archive["C"]).latitude = None
    session.commit()
    season = ch.load_season(session, make_request("secr_capthist"))
    with pytest.raises(ValidationError, match="no latitude/longitude: C/cam3"):
        ch.secr_files(season)


def test_mark_inp_has_one_history_per_deer(archive, make_request, tmp_path, db_url):
    text = build_export(make_request("mark_inp"), tmp_path, url=db_url).read_text()
    histories = {line.split("*/")[0].split()[1]: line.split("*/")[1].strip()
                 for line in text.splitlines() if line.rstrip().endswith(";")}  # fmt: skip
    assert histories == {
        str(archive["doe"]): "110 1;",
        str(archive["buck"]): "100 1;",
        str(archive["fawn"]): "010 1;",
    }
    assert "confirmed and automatic identities" in text


@sqlite_only
def test_mark_inp_leaves_out_occasions_without_cameras(archive, make_request, tmp_path, db_url):
    req = make_request("mark_inp", group_by="day")
    text = build_export(req, tmp_path, url=db_url).read_text()
    assert "14 occasions with cameras operating" not in text  # 1-14 June: not all had cameras
    assert "occasions without any camera left out" in text
    lengths = {len(line.split("*/")[1].split()[0]) for line in text.splitlines()
               if line.rstrip().endswith(";")}  # fmt: skip
    # 1-10 June: A ran; 11-14 June: nothing; 2 June: only an unidentified deer, so no evidence
    # of which deer were there
    assert lengths == {9}
    assert "1 occasions whose deer photos have no counted identity" in text


def test_detection_history_is_camtrapr_style(archive, make_request, tmp_path, db_url):
    files = unzip(build_export(make_request("detection_history"), tmp_path, url=db_url))
    rows = list(csv.reader(io.StringIO(files["detection_history.csv"])))
    assert rows[0] == ["Station", "o1", "o2", "o3"]
    table = {r[0]: r[1:] for r in rows[1:]}
    assert table == {"A": ["1", "0", "0"], "B": ["NA", "1", "NA"], "C": ["NA", "NA", "NA"]}
    effort = {r[0]: r[1:] for r in csv.reader(io.StringIO(files["effort.csv"]))}
    assert effort["A"] == ["2", "7", "1"]
    dates = list(csv.DictReader(io.StringIO(files["occasions.csv"])))
    assert (dates[0]["first_day"], dates[0]["last_day"]) == ("2024-06-01", "2024-06-02")


@sqlite_only
def test_confirmed_only_changes_which_identities_count(archive, make_request, tmp_path, db_url):
    text = build_export(make_request("mark_inp", confirmed_only=True), tmp_path,
                        url=db_url).read_text()  # fmt: skip
    assert "confirmed identities only" in text
    assert text.count(";") == 3  # the machine matches added no deer here


def test_other_species_are_not_deer():
    import pandas as pd

    df = pd.DataFrame({"species": ["white-tailed deer", "Procyon lotor", None, "Odocoileus"],
                       "deer_id": [None, None, None, None]})  # fmt: skip
    assert ch.is_deer(df).tolist() == [True, False, True, True]


@sqlite_only
def test_secr_usage_is_zero_where_no_identity_was_counted(archive, make_request, tmp_path, db_url):
    files = unzip(build_export(make_request("secr_capthist", group_by="day"), tmp_path,
                               url=db_url))  # fmt: skip
    traps = {t.split()[0]: t.split()[3:] for t in files["traps.txt"].splitlines()[1:]}
    # Station A ran 1-10 June; on 2 June it photographed only an unidentified deer.
    assert traps["A"][:4] == ["1", "0", "1", "1"]
