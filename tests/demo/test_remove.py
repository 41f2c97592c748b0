"""Removing the demo season: every demo record and file goes, a real import survives whole."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from deertrack_cli.main import main
from deertrack_core import db, review
from deertrack_core.demo import demo_present, load_demo
from deertrack_core.demo.remove import counts, remove_demo
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Correction, Deer, Deployment, Detection, Image, ReidSetting
from deertrack_core.reid.active import record
from tests.ingest.photos import make_jpeg

SMALL = {"seed": 5, "n_deer": 4, "n_cameras": 2, "visits_per_deer": 3.0}
T0 = dt.datetime(2025, 6, 1, 5, 30)


def _real_import(url, root):
    """Three real-looking photos at one station, two boxes, one of them a new real deer."""
    for i in range(3):
        make_jpeg(root / "Oak-ridge" / f"RCNX{i:04d}.JPG", when=T0 + dt.timedelta(minutes=i))
    ingest_folder(root, url=url)
    with db.session_scope(url) as s:
        images = s.scalars(select(Image).where(Image.path.contains("Oak-ridge"))).all()
        dets = [Detection(image_id=im.id, x=0.2, y=0.2, w=0.3, h=0.3) for im in images[:2]]
        s.add_all(dets)
        s.flush()
        review.new_individual(s, review.ref_for(dets[:1]), user="ana", name="Real buck")
        record(s, 0.8, model="m", goal="by hand", evidence=None, user="ana")
        return [d.id for d in dets]


def _archive(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    load_demo(db_url, out_dir=tmp_path / "var" / "demo-season", **SMALL)
    with db.session_scope(db_url) as s:  # the demo's own calibration, recorded as "demo"
        record(s, 0.9, model="m", goal="precision>=0.95", evidence=None, user="demo")
    with db.session_scope(db_url) as s:
        only = counts(s)
    real = _real_import(db_url, tmp_path / "real")
    return only, real


def test_remove_takes_every_demo_record_and_file_and_keeps_the_real_import(
    engine, db_url, tmp_path, monkeypatch
):
    demo_only, real_dets = _archive(db_url, tmp_path, monkeypatch)
    with db.session_scope(db_url) as s:
        # A reviewer made a deer from demo boxes, and the matcher gave a real box a demo deer.
        pending = s.scalars(
            select(Detection).join(Image).where(Image.path.contains("demo-season"))
        ).first()
        review.new_individual(s, review.ref_for([pending]), user="ana", name="From demo")
        demo_deer = s.scalars(select(Deer).where(Deer.name.like("D%"))).first()
        s.get(Detection, real_dets[1]).deer_id = demo_deer.id
        before = counts(s)
    files_before = sorted(p.name for p in (tmp_path / "real").rglob("*.JPG"))

    done = remove_demo(db_url)

    with db.session_scope(db_url) as s:
        after = counts(s)
        assert not demo_present(s)
        assert s.scalar(select(func.count()).where(Image.path.contains("demo-season"))) == 0
        assert [d.label for d in s.scalars(select(Deployment))] == ["Oak-ridge"]
        assert [d.name for d in s.scalars(select(Deer))] == ["Real buck"]
        assert sorted(s.scalars(select(Detection.id))) == sorted(real_dets)
        requeued = s.get(Detection, real_dets[1])
        assert (requeued.deer_id, requeued.match_status) == (None, "pending")
        assert [r.set_by for r in s.scalars(select(ReidSetting))] == ["ana"]
        assert {c.changed_by for c in s.scalars(select(Correction))} == {"ana"}
    assert after == {
        "deployments": 1, "photos": 3, "detections": 2, "deer": 1, "scores": 0,
        "corrections": after["corrections"], "thresholds": 1,
    }  # fmt: skip
    assert before["photos"] == demo_only["photos"] + 3
    assert (done.photos, done.deployments, done.requeued) == (demo_only["photos"], 2, 1)
    assert done.files > done.photos and not (tmp_path / "var" / "demo-season").exists()
    assert sorted(p.name for p in (tmp_path / "real").rglob("*.JPG")) == files_before


def test_cli_demo_remove_and_nothing_to_remove(engine, db_url, tmp_path, monkeypatch, capsys):
    _archive(db_url, tmp_path, monkeypatch)
    assert main(["demo", "--remove", "--url", db_url]) == 0
    assert "Removed the synthetic demo season: 2 cameras" in capsys.readouterr().out
    assert main(["demo", "--remove", "--url", db_url]) == 0
    assert "nothing removed" in capsys.readouterr().out


def test_removal_leaves_files_a_marker_does_not_list(tmp_path):
    from deertrack_core.demo.season import clear_files

    season = tmp_path / "season"
    (season / "A").mkdir(parents=True)
    (season / "A" / "x.JPG").write_bytes(b"x")
    (season / "mine.txt").write_text("keep me")
    (tmp_path / "outside.txt").write_text("keep me too")
    (season / "season.json").write_text('{"files": ["A/x.JPG", "../outside.txt"]}')
    assert clear_files(season) == 2  # A/x.JPG and the marker
    assert (season / "mine.txt").exists() and (tmp_path / "outside.txt").exists()
    assert not (season / "A").exists()
