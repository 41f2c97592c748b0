"""The ingest, import-detections and set-clock commands, end to end."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from deertrack_cli.main import main
from deertrack_core import db
from deertrack_core.models import Deployment, Image
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def test_ingest_import_and_set_clock_commands(url, tmp_path, capsys):
    make_jpeg(tmp_path / "cams" / "S1" / "a.jpg", when=T0, size=(200, 100))
    (tmp_path / "cams" / "S1" / "bad.jpg").write_bytes(b"nope" * 40)
    assert main(["ingest", str(tmp_path / "cams"), "--no-progress"]) == 1  # one file failed
    out = capsys.readouterr().out
    assert "ingested 1, duplicate 0, failed 1" in out
    assert "failed: S1/bad.jpg: not a readable image" in out

    md = tmp_path / "md.json"
    md.write_text(
        json.dumps(
            [
                {
                    "file": "S1/a.jpg",
                    "detections": [
                        {"category": "animal", "confidence": 0.9, "bbox": [20, 10, 120, 60]}
                    ],
                }
            ]
        )
    )
    assert main(["import-detections", str(md), "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["images_matched"], summary["detections_stored"]) == (1, 1)

    with db.session_scope(url) as s:
        dep_id = s.scalars(select(Deployment.id)).one()
    assert main(["set-clock", "--list"]) == 0
    assert f"{dep_id:>5}  S1" in capsys.readouterr().out
    assert main(["set-clock", "S1", "-60", "--user", "ana"]) == 0
    assert f"deployment {dep_id}: clock offset -60 s, 1 photos re-timed" in capsys.readouterr().out
    with db.session_scope(url) as s:
        assert s.scalars(select(Image.captured_at)).one() == T0 - dt.timedelta(seconds=60)


def test_ingest_with_detections_imports_them_too(url, tmp_path, capsys):
    make_jpeg(tmp_path / "cams" / "S1" / "a.jpg", when=T0, size=(200, 100))
    md = tmp_path / "cams" / "md.json"
    md.write_text(
        json.dumps(
            {
                "images": [
                    {
                        "file": "S1/a.jpg",
                        "detections": [
                            {"category": "1", "conf": 0.9, "bbox": [0.1, 0.1, 0.2, 0.2]}
                        ],
                    }
                ]
            }
        )
    )
    assert main(["ingest", str(tmp_path / "cams"), "--detections", str(md), "--no-progress"]) == 0
    assert "1 photos matched, 1 boxes stored" in capsys.readouterr().out


def test_set_clock_on_an_unknown_station_says_how_to_list(url, capsys):
    assert main(["set-clock", "Nowhere", "60"]) == 2
    assert "deertrack set-clock --list" in capsys.readouterr().err


def test_a_malformed_detection_file_exits_with_the_reason(url, tmp_path, capsys):
    md = tmp_path / "md.json"
    md.write_text('{"images": [{"file": "a.jpg", "detections": null}]}')
    assert main(["import-detections", str(md), "--no-progress"]) == 2
    assert "images[0] (a.jpg): 'detections' is null" in capsys.readouterr().err
