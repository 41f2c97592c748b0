from pathlib import Path

from deertrack_core import paths


def test_paths_under_the_data_root_are_stored_relative(tmp_path):
    photo = tmp_path / "StationA" / "IMG1.JPG"
    assert paths.to_stored(photo, root=tmp_path) == "StationA/IMG1.JPG"
    assert paths.resolve("StationA/IMG1.JPG", root=tmp_path) == photo


def test_paths_outside_the_data_root_are_stored_absolute(tmp_path):
    root = tmp_path / "root"
    other = tmp_path / "elsewhere" / "a.jpg"
    stored = paths.to_stored(other, root=root)
    assert Path(stored).is_absolute()
    assert paths.resolve(stored, root=root) == other
