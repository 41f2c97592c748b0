"""The species, repeats and times commands."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from deertrack_cli.main import main
from deertrack_core import db
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Image
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def test_species_command_shows_the_gate(url, capsys):
    assert main(["species"]) == 0
    out = capsys.readouterr().out
    assert "target species: white-tailed deer" in out
    assert "0 of a target species, 0 of other species" in out
    assert main(["species", "--fit"]) == 2  # no labels yet: a DeertrackError, no traceback
    assert "needs at least 5 labelled animals" in capsys.readouterr().err


def test_times_command_lists_and_corrects(url, tmp_path, capsys):
    make_jpeg(tmp_path / "S1" / "a.jpg", when=T0)
    make_jpeg(tmp_path / "S1" / "b.jpg", when=dt.datetime(2099, 1, 1))
    ingest_folder(tmp_path / "S1", url=url)
    assert main(["times"]) == 0
    assert "2099-01-01 00:00:00 (exif)  in the future: S1/b.jpg" in capsys.readouterr().out
    with db.session_scope(url) as s:
        odd = s.scalars(select(Image.id).where(Image.path.like("%b.jpg"))).one()
    assert (
        main(["times", "--photo", str(odd), "--time", "2024-10-04 07:00:00", "--user", "ana"]) == 0
    )
    assert "no photo has an implausible time" in capsys.readouterr().out
    assert main(["times", "--photo", str(odd), "--time", "yesterday"]) == 2


def test_repeats_command(url, capsys):
    assert main(["repeats", "--find", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["repeats", "--confirm", "7"]) == 2
    assert "no repeat group 7" in capsys.readouterr().err


def test_times_command_confirms_unsure_am_pm_readings(url, tmp_path, capsys):
    from tests.ingest.test_plausible import _unsure_bar_readings

    ids = _unsure_bar_readings(url, tmp_path)
    assert main(["times", "--confirm-ampm", str(ids[1]), "--flip", "--user", "ana"]) == 0
    assert "confirmed 1 data-bar readings with AM and PM swapped" in capsys.readouterr().out
    assert main(["times", "--confirm-ampm"]) == 0  # the rest, as read
    assert "confirmed 2 data-bar readings" in capsys.readouterr().out
    with db.session_scope(url) as s:
        rows = s.execute(select(Image.id, Image.captured_at, Image.time_problem)).all()
    assert {r.time_problem for r in rows} == {None}
    assert {r.id: r.captured_at.hour for r in rows}[ids[1]] == 20  # 8 AM read: it was 8 PM
    assert main(["times", "--confirm-ampm", "7,x"]) == 2
