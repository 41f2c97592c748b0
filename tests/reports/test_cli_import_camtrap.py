"""deertrack import-camtrap-dp on the official example package (folder and zip)."""

import shutil

import pytest
from sqlalchemy import func, select

from deertrack_cli.main import main
from deertrack_core import db
from deertrack_core.models import Deployment


@pytest.fixture
def example(shared):
    folder = shared / "standards" / "camtrap-dp" / "example"
    if not (folder / "datapackage.json").is_file():
        pytest.skip("the official Camtrap DP example is absent")
    return folder


def test_import_folder(engine, db_url, example, capsys):
    assert main(["import-camtrap-dp", str(example), "--url", db_url]) == 0
    assert "4 deployments" in capsys.readouterr().out
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count(Deployment.id))) == 4


def test_import_zip(engine, db_url, example, tmp_path, capsys):
    archive = shutil.make_archive(str(tmp_path / "example"), "zip", example)
    assert main(["import-camtrap-dp", archive, "--url", db_url]) == 0
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count(Deployment.id))) == 4


def test_missing_zip_names_the_fix(engine, db_url, tmp_path, capsys):
    assert main(["import-camtrap-dp", str(tmp_path / "nope.zip"), "--url", db_url]) == 2
    assert "does not exist" in capsys.readouterr().err
