"""Backup and restore round trips: SQLite and PostgreSQL, each way; nothing lost, all or nothing."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pytest
import sqlalchemy as sa

from deertrack_cli.main import main as cli
from deertrack_core import auth, db, migrate, tokens
from deertrack_core.backup import backup, database_sums, read_manifest, restore
from deertrack_core.models import (
    BackfillProgress,
    Correction,
    Deer,
    Deployment,
    Detection,
    Embedding,
    Image,
    Job,
    ReidSetting,
    ReidSimilarityScore,
)
from deertrack_core.tabledump import BackupError
from tests.conftest import _backends, scratch_database

CONSOLE = auth.Actor.console()

T = dt.datetime(2024, 10, 3, 6, 15, 7, 123456)
PAIRS = [(a, b) for a in _backends() for b in _backends()]


def fill(url: str, photos_root) -> str:
    """An archive touching every table and every awkward value; returns an API token."""
    with db.session_scope(url) as s:
        dep = Deployment(station="Nordhang–Süd ☃", camera="c'1", latitude=45.123456789012345,
                         longitude=-75.0, start=T, clock_offset_s=-3600.5, notes='say "hi"\n')  # fmt: skip
        s.add(dep)
        s.flush()
        images = []
        for i in range(3):
            name = f"S/IMG_{i}.JPG"
            (photos_root / "S").mkdir(parents=True, exist_ok=True)
            (photos_root / name).write_bytes(os.urandom(100))
            images.append(Image(deployment_id=dep.id, path=name, sha256=f"{i}" * 64,
                                captured_at=T + dt.timedelta(seconds=i), camera_time=T))  # fmt: skip
        s.add_all(images)
        # A deer merged into one made after it: the self-reference points forward.
        first, second, third = Deer(name="A"), Deer(name="B"), Deer(name="C")
        s.add_all([first, second, third])
        s.flush()
        first.merged_into = third.id
        s.delete(second)  # a gap in the ids: the sequence must still move past them
        s.flush()
        det = Detection(image_id=images[0].id, x=0.1, y=0.2, w=0.30000000000000004, h=1e-300,
                        deer_id=third.id, candidates=[{"deer_id": third.id, "score": 0.1 + 0.2}])  # fmt: skip
        s.add(det)
        s.flush()
        vec = np.random.default_rng(0).random(16).astype(np.float32).tobytes()
        s.add(Embedding(detection_id=det.id, model="m", dim=16, vector=vec))
        s.add(ReidSimilarityScore(detection_id=det.id, deer_id=third.id, similarity_score=0.1 + 0.2,
                                  matched=True, threshold_used=0.9, model="m", run_id="r1"))  # fmt: skip
        s.add(BackfillProgress(run_id="r1", detection_id=det.id))
        s.add(ReidSetting(model="m", threshold=0.875, evidence={"b": 1, "a": [1.5, None]}, set_by="x"))  # fmt: skip
        s.add(ReidSetting(model="m", threshold=0.5, evidence=None, set_by="x"))  # JSON null
        s.add(Correction(entity="deer", entity_id=1, field="name", old_value=None, new_value="Ä",
                         changed_by="ada", undone=False))  # fmt: skip
        for job_id in ("b-job", "a-job", "B-job"):  # string keys: bytewise order on both kinds
            s.add(Job(id=job_id, kind="export", status="completed", params={"x": job_id}))
        auth.add_user(s, "ada", "admin", "a long password 1")
        token, _ = tokens.create_token(s, "ada", actor=auth.Actor.console())
    with db.session_scope(url) as s:  # and one JSON column left SQL NULL (not JSON null)
        s.execute(sa.insert(Job).values(id="c-job", kind="x", status="queued", params=sa.null()))
    return token


@pytest.fixture
def source(tmp_path, monkeypatch, request):
    kind = getattr(request, "param", "sqlite")
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path / "photos"))
    with scratch_database(kind, _mk(tmp_path / "src")) as url:
        migrate.upgrade(url)
        token = fill(url, tmp_path / "photos")
        yield url, token


def _mk(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize(("source", "dest"), PAIRS, indirect=["source"])
def test_a_round_trip_loses_nothing(source, dest, tmp_path):
    url, token = source
    summary = backup(tmp_path / "bk", url=url, actor=CONSOLE)
    assert summary.rows["deer"] == 2 and summary.rows["jobs"] == 4 and summary.photos == 3
    assert summary.native in ("database.sqlite", "database.pgdump")
    with scratch_database(dest, _mk(tmp_path / "dst")) as target:
        restored = restore(tmp_path / "bk", url=target)
        assert restored.rows == summary.rows
        before, after = database_sums(url), database_sums(target)
        assert after == before and len(after) >= 12
        with db.session_scope(target) as s:
            # The restored archive works: its token, its JSON nulls, new ids after the old ones.
            assert tokens.actor_for_token(s, token).name == "ada"
            raw = dict(s.execute(sa.text("SELECT id, params IS NULL FROM jobs")).all())
            assert raw["c-job"] and not raw["a-job"]
            deer = Deer(name="new")
            s.add(deer)
            s.flush()
            assert deer.id == 4
            merged = s.scalar(sa.select(Deer.merged_into).where(Deer.name == "A"))
            assert merged == s.scalar(sa.select(Deer.id).where(Deer.name == "C"))


@pytest.mark.parametrize("source", _backends(), indirect=True)
def test_the_backup_is_online_and_consistent(source, tmp_path):
    url, _ = source
    engine = db.get_engine(url)
    with engine.connect() as writer:  # someone is writing and has not committed yet
        writer.execute(sa.insert(Deployment).values(station="late", camera="", timezone="UTC",
                                                    clock_offset_s=0, notes=""))  # fmt: skip
        summary = backup(tmp_path / "bk", url=url, actor=CONSOLE)
        writer.commit()
    assert summary.rows["deployments"] == 1


@pytest.mark.parametrize("dest", _backends())
def test_a_database_that_is_not_empty_is_refused_and_left_alone(source, dest, tmp_path):
    url, _ = source
    backup(tmp_path / "bk", url=url, actor=CONSOLE)
    with scratch_database(dest, _mk(tmp_path / "dst")) as target:
        migrate.upgrade(target)
        with db.session_scope(target) as s:
            s.add(Deployment(station="mine"))
        before = database_sums(target)
        with pytest.raises(BackupError, match="is not empty") as caught:
            restore(tmp_path / "bk", url=target)
        assert "create a new one" in caught.value.fix
        assert database_sums(target) == before


def test_a_freshly_migrated_empty_database_takes_the_backup(source, tmp_path):
    url, _ = source
    backup(tmp_path / "bk", url=url, actor=CONSOLE)
    target = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate.upgrade(target)
    restore(tmp_path / "bk", url=target)
    assert database_sums(target) == database_sums(url)


def test_a_damaged_backup_is_refused_before_anything_is_written(source, tmp_path):
    url, _ = source
    backup(tmp_path / "bk", url=url, actor=CONSOLE)
    table = tmp_path / "bk" / "tables" / "deer.jsonl.gz"
    table.write_bytes(table.read_bytes()[:-5])
    target = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(BackupError, match="deer.jsonl.gz of the backup is missing or damaged"):
        restore(tmp_path / "bk", url=target)
    assert not (tmp_path / "new.db").exists() or database_sums(target) == {}


def test_a_forged_backup_that_loads_other_rows_is_rolled_back(source, tmp_path):
    url, _ = source
    backup(tmp_path / "bk", url=url, actor=CONSOLE)
    manifest_path = tmp_path / "bk" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    next(t for t in manifest["tables"] if t["name"] == "deer")["checksum"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    target = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(BackupError, match="Table deer differs after loading"):
        restore(tmp_path / "bk", url=target)
    assert all(s.rows == 0 for s in database_sums(target).values())


def test_an_interrupted_backup_leaves_no_folder_behind(source, tmp_path, monkeypatch):
    url, _ = source
    from deertrack_core import backup as module

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(module, "photo_manifest", boom)
    with pytest.raises(OSError, match="disk full"):
        backup(tmp_path / "bk", url=url, actor=CONSOLE)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("bk", ".bk"))) == []


def test_photos_their_manifest_and_their_restore(source, tmp_path):
    # fill() stores made-up sha256s, so the copies are flagged as changed since ingest.
    url, _ = source
    summary = backup(tmp_path / "bk", url=url, actor=CONSOLE, with_photos=True)
    assert (summary.photos, summary.photos_missing, summary.photos_copied) == (3, 0, 3)
    assert summary.warnings == [f"S/IMG_{i}.JPG changed since it was ingested (sha256 differs)" for i in range(3)]  # fmt: skip
    listed = read_manifest(tmp_path / "bk")
    assert {t["name"] for t in listed["tables"]} >= {"images", "users", "api_tokens"}
    target = f"sqlite:///{tmp_path / 'new.db'}"
    result = restore(tmp_path / "bk", url=target, photos_to=tmp_path / "elsewhere")
    assert (result.photos_restored, result.photos_skipped) == (3, 0)
    original = (tmp_path / "photos" / "S" / "IMG_1.JPG").read_bytes()
    assert (tmp_path / "elsewhere" / "S" / "IMG_1.JPG").read_bytes() == original


def test_a_backup_folder_must_be_new(source, tmp_path):
    url, _ = source
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "x").write_text("mine")
    with pytest.raises(BackupError, match="exists and is not empty"):
        backup(tmp_path / "bk", url=url, actor=CONSOLE)


def test_cli_backup_and_restore(source, tmp_path, capsys):
    url, _ = source
    assert cli(["backup", str(tmp_path / "bk"), "--url", url, "--no-progress"]) == 0
    assert "rows of" in capsys.readouterr().out
    target = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli(["restore", str(tmp_path / "bk"), "--url", target, "--no-progress"]) == 0
    assert "checksum match the backup" in capsys.readouterr().out
    assert cli(["restore", str(tmp_path / "bk"), "--url", target, "--no-progress"]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_restored_photos_never_land_outside_their_folder(source, tmp_path):
    url, _ = source
    backup(tmp_path / "bk", url=url, actor=CONSOLE, with_photos=True)
    bk = tmp_path / "bk"
    (bk / "escape.jpg").write_bytes(b"evil")  # what "photos/../escape.jpg" would read
    import gzip

    with gzip.open(bk / "photos.jsonl.gz", "wt") as f:
        f.write(json.dumps({"path": "../escape.jpg", "sha256": "x", "size": 4}) + "\n")
        f.write(json.dumps({"path": "/etc/cron.d/x", "sha256": "x", "size": 4}) + "\n")
    manifest = json.loads((bk / "manifest.json").read_text())
    with pytest.raises(BackupError, match="photos.jsonl.gz of the backup is missing or damaged"):
        restore(bk, url=f"sqlite:///{tmp_path / 'a.db'}", photos_to=tmp_path / "dest")
    from deertrack_core.backup import sha256_of

    manifest["photos"]["sha256"] = sha256_of(bk / "photos.jsonl.gz")  # a consistent forgery
    (bk / "manifest.json").write_text(json.dumps(manifest))
    result = restore(bk, url=f"sqlite:///{tmp_path / 'b.db'}", photos_to=tmp_path / "dest")
    assert (result.photos_restored, result.photos_skipped) == (0, 2)
    assert not (tmp_path / "escape.jpg").exists()
