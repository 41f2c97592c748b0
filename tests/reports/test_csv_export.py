"""CSV exports over the small archive."""

from __future__ import annotations

import csv

from deertrack_core.reports.build import build_export
from deertrack_core.reports.csv_export import DETECTION_HEADER, RECORD_TABLE_HEADER
from tests.reports.conftest import sqlite_only


def read(path):
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@sqlite_only
def test_detections_csv_has_one_row_per_detection_rejected_included(
    archive, make_request, tmp_path, db_url
):
    path = build_export(make_request("detections_csv"), tmp_path, url=db_url)
    rows = read(path)
    assert list(rows[0]) == DETECTION_HEADER
    assert len(rows) == 9
    assert sum(r["match_status"] == "rejected" for r in rows) == 1
    assert rows[0]["image_path"] == "photos/A_001.jpg" and rows[0]["station"] == "A"


@sqlite_only
def test_record_table_has_camtrapr_columns_and_independent_records(
    archive, make_request, tmp_path, db_url
):
    rows = read(build_export(make_request("record_table_csv"), tmp_path, url=db_url))
    assert list(rows[0]) == RECORD_TABLE_HEADER
    assert len(rows) == 6


def test_record_table_delta_time_is_since_the_previous_kept_record(
    archive, make_request, tmp_path, db_url
):
    rows = read(build_export(make_request("record_table_csv"), tmp_path, url=db_url))
    doe_a = [r for r in rows if r["Station"] == "A" and r["Individual"] == "Doe-1"]
    assert [r["Time"] for r in doe_a] == ["06:00:00", "06:50:00"]
    assert [r["delta.time.secs"] for r in doe_a] == ["0", "3000"]
    assert doe_a[1]["delta.time.mins"] == "50.0"


@sqlite_only
def test_record_table_directory_and_file_name_point_at_the_photo(
    archive, make_request, tmp_path, db_url
):
    rows = read(build_export(make_request("record_table_csv"), tmp_path, url=db_url))
    first = rows[0]
    assert (archive["root"] / "photos" / first["FileName"]).is_file()
    assert first["Directory"] == (archive["root"] / "photos").as_posix()


@sqlite_only
def test_zero_minutes_keeps_every_record(archive, make_request, tmp_path, db_url):
    rows = read(
        build_export(
            make_request("record_table_csv", independence_minutes=0.0), tmp_path, url=db_url
        )
    )
    assert len(rows) == 8


@sqlite_only
def test_detections_csv_says_who_identified_each_deer(archive, make_request, tmp_path, db_url):
    rows = read(build_export(make_request("detections_csv"), tmp_path, url=db_url))
    by_status = {(r["match_status"], r["provenance"]) for r in rows}
    assert by_status == {("confirmed", "confirmed"), ("auto", "automatic"),
                         ("pending", "unidentified"), ("rejected", "rejected")}  # fmt: skip
    only = read(build_export(make_request("detections_csv", confirmed_only=True),
                             tmp_path / "only", url=db_url))  # fmt: skip
    machine = [r for r in only if r["provenance"] == "automatic"]
    assert len(machine) == 2 and all(r["deer_id"] == "" for r in machine)


@sqlite_only
def test_record_table_marks_machine_identities(archive, make_request, tmp_path, db_url):
    rows = read(build_export(make_request("record_table_csv"), tmp_path, url=db_url))
    kinds = {r["Individual"]: r["IdentityProvenance"] for r in rows if r["Individual"]}
    assert set(kinds.values()) <= {"confirmed", "automatic"}
    assert {r["IdentityProvenance"] for r in rows if not r["Individual"]} == {""}
