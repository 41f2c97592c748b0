import pytest

from deertrack_core.progress import progress_bar


def test_disabled_bar_is_none():
    with progress_bar("x", enabled=False) as bar:
        assert bar is None


def test_bar_reports_and_is_closed_when_the_block_fails(capsys):
    with pytest.raises(RuntimeError, match="boom"):
        with progress_bar("work") as bar:
            bar(3, 10, "step")
            raise RuntimeError("boom")
    err = capsys.readouterr().err
    assert "work" in err and "3/10" in err
