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


def test_scaled_maps_a_phase_onto_its_share_of_the_whole():
    from deertrack_core.progress import scaled

    seen = []
    phase = scaled(lambda done, total, message="": seen.append((done, total, message)), 600, 750)
    phase(1, 2, "half")
    phase(5, 4, "overshoot")
    phase(0, 0, "nothing to do")
    assert seen == [(675, 1000, "half"), (750, 1000, "overshoot"), (750, 1000, "nothing to do")]
    assert scaled(None, 0, 1000) is None
