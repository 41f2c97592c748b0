"""ingest_folder on real JPEG files, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from deertrack_core import db
from deertrack_core.errors import IngestError
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Deployment, Image
from tests.ingest.photos import make_jpeg, xmp_packet

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def images(url) -> list[Image]:
    with db.session_scope(url) as s:
        return list(s.scalars(select(Image).order_by(Image.path)))


def deployments(url) -> list[Deployment]:
    with db.session_scope(url) as s:
        return list(s.scalars(select(Deployment).order_by(Deployment.station, Deployment.camera)))


def test_ingest_stores_photos_with_their_metadata(url, tmp_path):
    root = tmp_path / "season"
    make_jpeg(root / "North" / "a.jpg", when=T0, make="RECONYX", model="HC600", size=(80, 60))
    make_jpeg(root / "South" / "b.jpg", when=T0 + dt.timedelta(hours=1), orientation=3)
    summary = ingest_folder(root, url=url)
    assert (summary.ingested, summary.duplicates, summary.failed, summary.untimed) == (2, 0, [], 0)
    assert (summary.deployments, summary.deployments_created) == (2, 2)
    a, b = images(url)
    assert a.path == "season/North/a.jpg"
    assert (a.camera_time, a.captured_at, a.time_source) == (T0, T0, "exif")
    assert (a.width, a.height, a.make, a.model) == (80, 60, "RECONYX", "HC600")
    assert b.orientation == 3
    assert [d.station for d in deployments(url)] == ["North", "South"]


def test_ingesting_the_same_folder_twice_adds_nothing(url, tmp_path):
    for i in range(3):
        make_jpeg(tmp_path / "S1" / f"{i}.jpg", when=T0 + dt.timedelta(minutes=i))
    ingest_folder(tmp_path / "S1", url=url)
    again = ingest_folder(tmp_path / "S1", url=url)
    assert (again.ingested, again.duplicates) == (0, 3)
    assert len(images(url)) == 3 and len(deployments(url)) == 1


def test_a_photo_retagged_after_ingest_updates_its_row(url, tmp_path):
    path = make_jpeg(tmp_path / "S1" / "a.jpg", when=T0, seed="a")
    ingest_folder(tmp_path / "S1", url=url)
    (before,) = images(url)
    make_jpeg(path, when=T0, seed="a", xmp=xmp_packet("individual|B7"))
    summary = ingest_folder(tmp_path / "S1", url=url)
    assert (summary.ingested, summary.updated, summary.duplicates) == (0, 1, 0)
    (after,) = images(url)
    assert (after.id, after.individual_tag) == (before.id, "B7")
    assert after.sha256 != before.sha256


def test_a_copy_of_a_photo_in_the_same_run_is_a_duplicate(url, tmp_path):
    original = make_jpeg(tmp_path / "S1" / "a.jpg", when=T0)
    (tmp_path / "S1" / "copy.jpg").write_bytes(original.read_bytes())
    summary = ingest_folder(tmp_path / "S1", url=url)
    assert (summary.ingested, summary.duplicates) == (1, 1)


def test_corrupt_and_empty_files_are_reported_and_the_run_goes_on(url, tmp_path):
    make_jpeg(tmp_path / "S1" / "good.jpg", when=T0)
    (tmp_path / "S1" / "bad.jpg").write_bytes(b"\x00garbage" * 50)
    (tmp_path / "S1" / "empty.JPG").write_bytes(b"")
    summary = ingest_folder(tmp_path / "S1", url=url)
    assert summary.ingested == 1
    reasons = {p.path: p.reason for p in summary.failed}
    assert set(reasons) == {"bad.jpg", "empty.JPG"}
    assert "not a readable image" in reasons["bad.jpg"] and "empty file" in reasons["empty.JPG"]


def test_photos_without_exif_take_the_file_name_time_or_are_untimed(url, tmp_path):
    make_jpeg(tmp_path / "S1" / "20210531082538-RCNX0031.JPG")
    make_jpeg(tmp_path / "S1" / "IMG0001.JPG")
    summary = ingest_folder(tmp_path / "S1", url=url)
    assert (summary.ingested, summary.untimed) == (2, 1)
    named, plain = images(url)
    assert (named.time_source, named.captured_at) == (
        "filename",
        dt.datetime(2021, 5, 31, 8, 25, 38),
    )
    assert (plain.time_source, plain.captured_at, plain.sequence_id) == ("none", None, None)
    assert summary.untimed_files == [plain.path]


def test_xmp_tags_and_species_folders_are_stored_as_ground_truth(url, tmp_path):
    make_jpeg(
        tmp_path / "S1" / "DEER" / "S1__2024-10-03__06-15-00(1).JPG",
        xmp=xmp_packet("Species|White-tailed deer", "individual|7"),
    )
    make_jpeg(tmp_path / "S1" / "DEER" / "S1__2024-10-03__07-15-00(1).JPG")
    ingest_folder(tmp_path, url=url)
    tagged, folder_only = images(url)
    assert (tagged.species_tag, tagged.individual_tag) == ("White-tailed deer", "7")
    assert (folder_only.species_tag, folder_only.individual_tag) == ("DEER", None)


def test_bursts_become_sequences(url, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_BURST_SECONDS", "10")
    offsets = [0, 5, 15, 100, 109, 3600]  # bursts: {0,5,15} {100,109} {3600}
    for i, s in enumerate(offsets):
        make_jpeg(tmp_path / "S1" / f"{i}.jpg", when=T0 + dt.timedelta(seconds=s))
    make_jpeg(tmp_path / "S2" / "other.jpg", when=T0 + dt.timedelta(seconds=1))
    summary = ingest_folder(tmp_path, url=url)
    assert summary.sequences == 4
    by_name = {im.path.rsplit("/", 1)[1]: im for im in images(url)}
    seq = [by_name[f"{i}.jpg"].sequence_id for i in range(6)]
    assert seq[0] == seq[1] == seq[2] == by_name["0.jpg"].id
    assert seq[3] == seq[4] != seq[0] and seq[5] not in (seq[0], seq[3])
    assert by_name["other.jpg"].sequence_id not in seq  # another camera, never the same burst


def test_deployments_span_their_photos(url, tmp_path):
    make_jpeg(tmp_path / "S1" / "a.jpg", when=T0)
    make_jpeg(tmp_path / "S1" / "b.jpg", when=T0 + dt.timedelta(days=30))
    ingest_folder(tmp_path / "S1", url=url)
    (dep,) = deployments(url)
    assert (dep.start, dep.end) == (T0, T0 + dt.timedelta(days=30))


def test_deployments_csv_sets_station_place_and_clock_offset(url, tmp_path):
    make_jpeg(tmp_path / "cards" / "card7" / "a.jpg", when=T0)
    make_jpeg(tmp_path / "cards" / "stray" / "b.jpg", when=T0)
    csv_path = tmp_path / "deployments.csv"
    csv_path.write_text(
        "station,camera,folder,lat,lon,timezone,clock_offset_s\n"
        "Ridge,C7,card7,45.5,-122.25,America/Chicago,-90\n"
    )
    summary = ingest_folder(tmp_path / "cards", url=url, deployments_csv=csv_path)
    assert summary.ingested == 1
    assert [p.path for p in summary.failed] == ["stray/b.jpg"]
    assert "covers the folder 'stray'" in summary.failed[0].reason
    (dep,) = deployments(url)
    assert (dep.station, dep.camera, dep.latitude, dep.longitude) == ("Ridge", "C7", 45.5, -122.25)
    assert (dep.timezone, dep.clock_offset_s) == ("America/Chicago", -90.0)
    (im,) = images(url)
    assert (im.camera_time, im.captured_at) == (T0, T0 - dt.timedelta(seconds=90))


def test_progress_reports_every_photo(url, tmp_path):
    for i in range(5):
        make_jpeg(tmp_path / "S1" / f"{i}.jpg", when=T0 + dt.timedelta(minutes=i))
    calls = []
    ingest_folder(
        tmp_path / "S1", url=url, batch_size=2, progress=lambda d, t, m="": calls.append((d, t))
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_an_interrupted_run_keeps_whole_batches_and_a_rerun_completes(url, tmp_path):
    for i in range(6):
        make_jpeg(tmp_path / "S1" / f"{i}.jpg", when=T0 + dt.timedelta(minutes=i))

    def stop_after_first_batch(done, total, message=""):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_folder(tmp_path / "S1", url=url, batch_size=4, progress=stop_after_first_batch)
    assert len(images(url)) == 4  # the first batch committed whole, nothing of the second
    rerun = ingest_folder(tmp_path / "S1", url=url, batch_size=4)
    assert (rerun.ingested, rerun.duplicates) == (2, 4)
    with db.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Image)) == 6


def test_ingesting_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(IngestError, match="is not a folder"):
        ingest_folder(tmp_path / "nowhere")
