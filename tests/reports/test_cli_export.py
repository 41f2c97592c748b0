"""deertrack export: validates, then builds synchronously."""

from __future__ import annotations

from pathlib import Path

from deertrack_cli.main import main
from tests.reports.conftest import sqlite_only


@sqlite_only
def test_export_writes_the_file_and_prints_its_path(archive, db_url, tmp_path, capsys):
    rc = main(["export", "--type", "record_table_csv", "--start", "2024-06-01", "--end",
               "2024-06-14", "--out", str(tmp_path / "out"), "--url", db_url, "--quiet"])  # fmt: skip
    printed = Path(capsys.readouterr().out.strip())
    assert rc == 0
    assert printed.is_file() and printed.parent == tmp_path / "out"


@sqlite_only
def test_invalid_request_is_refused_before_building(archive, db_url, tmp_path, capsys):
    rc = main(["export", "--type", "seasonal_activity", "--start", "2024-06-14", "--end",
               "2024-06-01", "--deployments", "999", "--out", str(tmp_path / "out"),
               "--url", db_url])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "start_date must be on or before end_date" in err
    assert not (tmp_path / "out").exists()
