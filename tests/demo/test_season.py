"""The generated season on disk: determinism, EXIF, MegaDetector JSON, truth, individuals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import piexif
import pytest
from PIL import Image

from deertrack_core.demo import generate_season, read_truth
from deertrack_core.errors import ConfigurationError
from deertrack_core.ingest.mdformat import parse_detection_file


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


TINY = {"seed": 11, "n_deer": 2, "n_cameras": 2, "visits_per_deer": 3.0}


def test_same_seed_writes_the_same_bytes(tmp_path):
    one = generate_season(tmp_path / "one", **TINY)
    two = generate_season(tmp_path / "two", **TINY)
    assert one.files == two.files
    for rel in one.files:
        assert _digest(one.out_dir / rel) == _digest(two.out_dir / rel)
    for name in ("truth.csv", "megadetector.json", "deployments.csv"):
        assert _digest(one.out_dir / name) == _digest(two.out_dir / name)


def test_another_seed_gives_another_season(tmp_path):
    other = generate_season(tmp_path / "other", **{**TINY, "seed": 12})
    one = generate_season(tmp_path / "one", **TINY)
    assert read_truth(other.truth_csv) != read_truth(one.truth_csv)


def test_photos_carry_exif_time_and_camera(small_season):
    exif = piexif.load(str(small_season.out_dir / small_season.files[0]))
    taken = dt.datetime.strptime(
        exif["Exif"][piexif.ExifIFD.DateTimeOriginal].decode(), "%Y:%m:%d %H:%M:%S"
    )
    assert small_season.start <= taken.date() <= small_season.end
    assert exif["0th"][piexif.ImageIFD.Make] == b"SynthCam"
    assert exif["0th"][piexif.ImageIFD.Model]
    assert b"Synthetic" in exif["0th"][piexif.ImageIFD.ImageDescription]


def test_photos_are_jpegs_of_the_requested_size(small_season):
    with Image.open(small_season.out_dir / small_season.files[-1]) as im:
        assert (im.format, im.size) == ("JPEG", (800, 600))


def test_megadetector_file_follows_the_batch_format(small_season):
    doc = json.loads(small_season.md_json.read_text())
    assert doc["info"]["format_version"] == "1.4"
    assert doc["detection_categories"] == {"1": "animal", "2": "person", "3": "vehicle"}
    assert sorted(i["file"] for i in doc["images"]) == sorted(small_season.files)
    for image in doc["images"]:
        assert (small_season.out_dir / image["file"]).is_file()
        for det in image["detections"]:
            x, y, w, h = det["bbox"]
            assert det["category"] in doc["detection_categories"]
            assert 0 <= det["conf"] <= 1
            assert 0 <= x and 0 <= y and w > 0 and h > 0
            assert x + w <= 1.0001 and y + h <= 1.0001


def test_megadetector_file_parses_with_the_ingest_reader(small_season):
    parsed = parse_detection_file(small_season.md_json)
    assert len(parsed.entries) == len(small_season.files)
    assert parsed.typical_threshold == 0.2


def test_truth_rows_point_at_the_detector_boxes(small_season):
    doc = json.loads(small_season.md_json.read_text())
    boxes = {i["file"]: i["detections"] for i in doc["images"]}
    truth = read_truth(small_season.truth_csv)
    assert truth == list(small_season.truth)
    for t in truth:
        assert boxes[t.file][t.box]["bbox"] == [t.x, t.y, t.w, t.h]
    tags = {s.tag for s in small_season.herd}
    assert {t.deer for t in truth if t.deer} <= tags


def test_some_frames_are_empty_and_some_hold_two_deer(small_season):
    truth = read_truth(small_season.truth_csv)
    deer_per_file: dict[str, int] = {}
    for t in truth:
        if t.deer:
            deer_per_file[t.file] = deer_per_file.get(t.file, 0) + 1
    assert small_season.empty_photos > 0
    assert any(n >= 2 for n in deer_per_file.values())


def test_the_first_frames_of_each_camera_show_whoever_set_it_up(small_season):
    doc = json.loads(small_season.md_json.read_text())
    first = {}
    for image in sorted(doc["images"], key=lambda i: i["file"]):
        first.setdefault(image["file"].split("/")[0], image)
    assert len(first) == len(small_season.stations)
    assert all(d["category"] == "2" for i in first.values() for d in i["detections"])
    people = [t for t in small_season.truth if t.category == "person"]
    assert people and all(not t.deer for t in people)


def test_a_season_of_one_camera_and_one_deer_works(tmp_path):
    m = generate_season(tmp_path / "tiny", seed=1, n_deer=1, n_cameras=1, visits_per_deer=2)
    assert m.files and {t.deer for t in m.truth if t.deer} == {"D01"}


def test_regenerating_replaces_the_previous_season(tmp_path):
    first = generate_season(tmp_path / "s", seed=1, n_deer=2, n_cameras=1, visits_per_deer=3)
    second = generate_season(tmp_path / "s", seed=2, n_deer=1, n_cameras=1, visits_per_deer=2)
    on_disk = sorted(p.relative_to(second.out_dir).as_posix()
                     for p in second.out_dir.rglob("*.JPG"))  # fmt: skip
    assert on_disk == sorted(second.files)
    assert first.out_dir == second.out_dir


def test_refuses_a_folder_holding_other_files(tmp_path):
    (tmp_path / "mine.txt").write_text("not a demo")
    with pytest.raises(ConfigurationError, match="not empty and holds no demo season"):
        generate_season(tmp_path, n_deer=1, n_cameras=1)


def test_refuses_a_season_without_deer(tmp_path):
    with pytest.raises(ConfigurationError, match="at least one deer and one camera"):
        generate_season(tmp_path / "x", n_deer=0)


def _body_colour(root, t) -> np.ndarray:
    with Image.open(root / t.file) as im:
        w, h = im.size
        crop = im.convert("RGB").crop((
            int((t.x + 0.25 * t.w) * w), int((t.y + 0.35 * t.h) * h),
            int((t.x + 0.75 * t.w) * w), int((t.y + 0.6 * t.h) * h),
        ))  # fmt: skip
        return np.asarray(crop, dtype=np.float64).reshape(-1, 3).mean(axis=0)


def test_each_deer_keeps_its_coat_across_photos(small_season):
    """In daylight, crops of one deer are closer to each other in colour than deer are apart."""
    colours: dict[str, list[np.ndarray]] = {}
    for t in small_season.truth:
        if t.deer and t.light == "day":
            colours.setdefault(t.deer, []).append(_body_colour(small_season.out_dir, t))
    centres = {k: np.mean(v, axis=0) for k, v in colours.items()}
    assert len(centres) >= 3
    within = np.mean([np.linalg.norm(c - centres[k]) for k, v in colours.items() for c in v])
    keys = sorted(centres)
    between = np.mean([np.linalg.norm(centres[a] - centres[b])
                       for i, a in enumerate(keys) for b in keys[i + 1 :]])  # fmt: skip
    assert within < 0.6 * between


def test_night_photos_are_infrared_grey(small_season):
    night = {t.file for t in small_season.truth if t.light == "night"}
    assert night
    with Image.open(small_season.out_dir / sorted(night)[0]) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.int16)[:-30]  # above the data bar
    assert np.abs(arr[..., 0] - arr[..., 2]).mean() < 3
