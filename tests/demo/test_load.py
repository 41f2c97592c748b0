"""load_demo and `deertrack demo` on SQLite and PostgreSQL, with a small season."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deertrack_cli.main import main
from deertrack_core import db
from deertrack_core.demo import demo_present, load_demo
from deertrack_core.demo.season import SYNTHETIC_NOTE
from deertrack_core.errors import ConfigurationError
from deertrack_core.models import Deer, Deployment, Detection, Image

SMALL = {"seed": 5, "n_deer": 4, "n_cameras": 2, "visits_per_deer": 3.0}


def _load(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    return load_demo(db_url, out_dir=tmp_path / "var" / "demo-season", **SMALL)


def test_load_demo_stores_photos_boxes_and_deployments(engine, db_url, tmp_path, monkeypatch):
    summary = _load(db_url, tmp_path, monkeypatch)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count(Image.id))) == summary.photos == summary.ingested
        assert s.scalar(select(func.count(Detection.id))) == summary.detections > 0
        deps = s.scalars(select(Deployment)).all()
        assert len(deps) == 2
        assert all(SYNTHETIC_NOTE in d.notes and d.latitude and d.start for d in deps)
        paths = s.scalars(select(Image.path)).all()
        assert demo_present(s)
    assert all(p.startswith("var/demo-season/") for p in paths)


def test_an_empty_database_holds_no_demo(session):
    assert not demo_present(session)


def test_load_demo_marks_a_reviewed_subset(engine, db_url, tmp_path, monkeypatch):
    summary = _load(db_url, tmp_path, monkeypatch)
    with db.session_scope(db_url) as s:
        confirmed = s.scalars(select(Detection).where(Detection.match_status == "confirmed")).all()
        pending = s.scalar(
            select(func.count(Detection.id)).where(
                Detection.match_status == "pending", Detection.category == "animal"
            )
        )
        deer = s.scalars(select(Deer)).all()
    assert 0 < len(confirmed) <= summary.reviewed < summary.detections
    assert pending == summary.pending > 0
    assert all(d.deer_id and d.reviewed_by == "demo" and d.reviewed_at for d in confirmed)
    assert all(d.species == "white-tailed deer" and d.sex_age != "unknown" for d in confirmed)
    assert len(deer) == summary.deer_known > 0
    assert all(SYNTHETIC_NOTE in d.notes and d.first_seen and d.name.startswith("D") for d in deer)
    by_id = {d.id: d for d in deer}
    assert all(by_id[d.deer_id].sex_age == d.sex_age for d in confirmed)


def test_load_demo_leaves_people_out_of_the_review(engine, db_url, tmp_path, monkeypatch):
    _load(db_url, tmp_path, monkeypatch)
    with db.session_scope(db_url) as s:
        people = s.scalars(select(Detection).where(Detection.category == "person")).all()
    assert people
    assert all(p.deer_id is None and p.reviewed_by is None for p in people)


def test_load_demo_links_boxes_across_bursts(engine, db_url, tmp_path, monkeypatch):
    summary = _load(db_url, tmp_path, monkeypatch)
    with db.session_scope(db_url) as s:
        untracked = s.scalar(select(func.count(Detection.id)).where(Detection.track_id.is_(None)))
    assert untracked == 0
    assert 0 < summary.tracks < summary.detections


def test_loading_the_season_twice_adds_nothing(engine, db_url, tmp_path, monkeypatch):
    first = _load(db_url, tmp_path, monkeypatch)
    second = _load(db_url, tmp_path, monkeypatch)
    assert (second.ingested, second.duplicates) == (0, first.photos)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count(Deer.id))) == first.deer_known
        assert s.scalar(select(func.count(Detection.id))) == first.detections
        reviewed = s.scalar(select(func.count(Detection.id)).where(Detection.reviewed_by == "demo"))
    assert reviewed == first.reviewed


def test_refuses_to_mix_a_second_demo_season(engine, db_url, tmp_path, monkeypatch):
    _load(db_url, tmp_path, monkeypatch)
    with pytest.raises(ConfigurationError, match="already holds another demo season"):
        load_demo(db_url, out_dir=tmp_path / "other", **{**SMALL, "seed": 6})
    assert not (tmp_path / "other").exists()


def test_cli_loads_and_says_synthetic(engine, db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    args = ["demo", "--url", db_url, "--seed", "5", "--deer", "1", "--cameras", "1",
            "--out", str(tmp_path / "season"), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    assert "SYNTHETIC" in capsys.readouterr().out


def test_cli_if_empty_leaves_a_database_with_photos_alone(
    engine, db_url, tmp_path, monkeypatch, capsys
):
    _load(db_url, tmp_path, monkeypatch)
    out = tmp_path / "never"
    assert main(["demo", "--if-empty", "--url", db_url, "--out", str(out)]) == 0
    assert "already holds" in capsys.readouterr().out
    assert not out.exists()
