"""Camtrap DP export validated offline against the official schemas; import of the official
example package."""

from __future__ import annotations

import csv
import json
import zipfile

import pytest

from deertrack_core.reports.build import build_export
from deertrack_core.reports.camtrap_dp import import_package
from tests.reports.camtrap_validation import profile_errors, standards_dir, table_errors
from tests.reports.conftest import sqlite_only


@pytest.fixture
def standards():
    path = standards_dir()
    if path is None:
        pytest.skip("../shared/standards/camtrap-dp is absent")
    return path


@pytest.fixture
def package(archive, make_request, tmp_path, db_url):
    path = build_export(make_request("camtrap_dp"), tmp_path / "out", url=db_url)
    folder = tmp_path / "pkg"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return folder


@sqlite_only
def test_export_zip_holds_the_descriptor_and_three_tables(package):
    names = {p.name for p in package.iterdir()}
    assert {"datapackage.json", "deployments.csv", "media.csv", "observations.csv"} <= names


@sqlite_only
def test_descriptor_follows_the_camtrap_dp_profile(package, standards):
    descriptor = json.loads((package / "datapackage.json").read_text())
    assert profile_errors(descriptor, standards) == []


@sqlite_only
def test_tables_follow_the_official_table_schemas(package, standards):
    assert table_errors(package, standards) == []


def test_observations_carry_individual_and_bbox(package, archive):
    rows = list(csv.DictReader((package / "observations.csv").open()))
    doe = [
        r
        for r in rows
        if r["individualID"] == str(archive["doe"]) and r["observationLevel"] == "media"
    ]
    assert len(doe) == 4
    assert doe[0]["bboxX"] == "0.375" and doe[0]["scientificName"] == "Odocoileus virginianus"
    assert {r["classificationMethod"] for r in doe} == {"human", "machine"}
    assert doe[0]["sex"] == "female"


@sqlite_only
def test_event_observations_follow_the_independence_interval(package):
    rows = list(csv.DictReader((package / "observations.csv").open()))
    assert sum(r["observationLevel"] == "event" for r in rows) == 6


@sqlite_only
def test_media_times_carry_the_deployment_offset(package):
    rows = list(csv.DictReader((package / "media.csv").open()))
    assert rows[0]["timestamp"] == "2024-06-01T06:00:00-05:00"


def test_import_of_the_official_example_package(engine, standards, db_url):
    summary = import_package(standards / "example", url=db_url)
    assert summary.deployments == 4
    assert summary.images == 423
    assert summary.detections == 337 + 33 + 20
    assert summary.event_observations_skipped == 36


@sqlite_only
def test_importing_the_example_twice_adds_nothing(engine, standards, db_url):
    import_package(standards / "example", url=db_url)
    again = import_package(standards / "example", url=db_url)
    assert (again.deployments, again.images, again.detections) == (0, 0, 0)


@sqlite_only
def test_imported_local_media_have_absolute_paths_and_boxes(engine, standards, db_url, session):
    from sqlalchemy import select

    from deertrack_core.models import Detection, Image

    import_package(standards / "example", url=db_url)
    local = session.scalars(select(Image.path).where(Image.path.like("/%"))).all()
    assert len(local) == 10
    boxed = session.scalars(select(Detection).where(Detection.w < 1.0)).all()
    assert len(boxed) == 20


def test_common_names_become_scientific_names():
    import pandas as pd

    from deertrack_core.reports.camtrap_dp import scientific_name

    names = scientific_name(pd.Series(["White-tailed deer", "Procyon lotor", None]))
    assert names.tolist()[:2] == ["Odocoileus virginianus", "Procyon lotor"]


def test_export_of_unreviewed_unmatched_boxes(session, tmp_path, monkeypatch, make_request, db_url):
    """Boxes without a match score or a reviewer (fresh from a MegaDetector import, or a new
    individual created by hand) still export."""
    import datetime as dt
    import zipfile

    from deertrack_core.models import Deer, Deployment, Detection, Image

    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    dep = Deployment(station="A", camera="c", latitude=44.0, longitude=-92.0,
                     start=dt.datetime(2024, 6, 1), end=dt.datetime(2024, 6, 3))  # fmt: skip
    img = Image(deployment=dep, path="a.jpg", sha256="f" * 64,
                captured_at=dt.datetime(2024, 6, 2, 6), camera_time=dt.datetime(2024, 6, 2, 6))  # fmt: skip
    deer = Deer(name="D1")
    session.add_all([dep, img, deer])
    session.flush()
    session.add(Detection(image=img, x=0.1, y=0.1, w=0.2, h=0.2, confidence=0.8, deer_id=deer.id,
                          match_status="new"))  # fmt: skip
    session.commit()
    path = build_export(make_request("camtrap_dp"), tmp_path / "out", url=db_url)
    with zipfile.ZipFile(path) as zf:
        observations = zf.read("observations.csv").decode()
    assert "D1" in observations or str(deer.id) in observations.splitlines()[1]


def test_classification_says_human_or_which_machine(package):
    rows = [r for r in csv.DictReader((package / "observations.csv").open())
            if r["observationLevel"] == "media" and r["observationType"] == "animal"]  # fmt: skip
    by = {(r["classificationMethod"], r["classifiedBy"]) for r in rows if r["individualID"]}
    assert ("machine", "DeerTrack re-identification") in by
    assert all(m == "human" for m, who in by if who != "DeerTrack re-identification")
    unidentified = [r for r in rows if not r["individualID"]]
    assert {(r["classificationMethod"], r["classifiedBy"]) for r in unidentified} == {
        ("machine", "megadetector (detector)")
    }


def test_event_observations_say_whether_a_reviewer_set_their_identity(package, archive):
    rows = [r for r in csv.DictReader((package / "observations.csv").open())
            if r["observationLevel"] == "event"]  # fmt: skip
    by_deer = {}
    for r in rows:
        by_deer.setdefault(r["individualID"], set()).add(r["classificationMethod"])
    # the buck's one record is confirmed; the doe's first event mixes a confirmed and an
    # automatic record (machine), her later ones are confirmed (human)
    assert by_deer[str(archive["buck"])] == {"human"}
    assert by_deer[str(archive["doe"])] == {"human", "machine"}
    assert by_deer[""] == {"machine"}  # unidentified boxes: the species, from the detector
    humans = {r["classifiedBy"] for r in rows if r["classificationMethod"] == "human"}
    assert humans == {"DeerTrack independent events of reviewer-set identities"}
