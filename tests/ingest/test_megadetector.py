"""MegaDetector import: both dialects, thresholds, path matching, malformed files, re-import."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.errors import DetectionFileError, ValidationError
from deertrack_core.ingest import import_detections, ingest_folder
from deertrack_core.ingest.mdformat import parse_detection_file
from deertrack_core.ingest.megadetector import PathMatcher, _parts, _Stored
from deertrack_core.models import Detection, Image
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def v1(images, threshold=None, categories=None):
    info = {"format_version": "1.1", "detector": "md_v5a"}
    if threshold is not None:
        info["detector_metadata"] = {"typical_detection_threshold": threshold}
    return {
        "info": info,
        "detection_categories": categories or {"1": "animal", "2": "person", "3": "vehicle"},
        "images": images,
    }


def det(conf, bbox=(0.1, 0.2, 0.3, 0.4), category="1"):
    return {"category": category, "conf": conf, "bbox": list(bbox)}


def write(tmp_path, data, name="md.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def season(url, tmp_path):
    """Three ingested photos: S1/a.jpg (640x480), S1/b.jpg (640x480, rotated 90°), S2/c.jpg."""
    make_jpeg(tmp_path / "cams" / "S1" / "a.jpg", when=T0, size=(640, 480))
    make_jpeg(tmp_path / "cams" / "S1" / "b.jpg", when=T0, size=(640, 480), orientation=6)
    make_jpeg(tmp_path / "cams" / "S2" / "c.jpg", when=T0, size=(320, 240))
    ingest_folder(tmp_path / "cams", url=url)
    return url


def boxes(url) -> list[tuple]:
    with db.session_scope(url) as s:
        rows = s.execute(
            select(
                Image.path,
                Detection.category,
                Detection.confidence,
                Detection.x,
                Detection.y,
                Detection.w,
                Detection.h,
                Detection.source,
            )
            .join(Image)
            .order_by(Image.path, Detection.confidence)
        ).all()
    return [tuple(r) for r in rows]


def test_v1_boxes_are_stored_at_or_above_the_threshold(season, tmp_path):
    data = v1(
        [
            {"file": "S1/a.jpg", "detections": [det(0.9), det(0.2, category="2"), det(0.1)]},
            {"file": "S2/c.jpg", "detections": []},
            {"file": "S1/b.jpg", "failure": "Failure image access", "detections": None},
        ]
    )
    summary = import_detections(write(tmp_path, data), url=season)
    assert (summary.images_matched, summary.detections_stored) == (2, 2)
    assert (summary.below_threshold, summary.failed_images, summary.dialect) == (1, 1, "1.x")
    assert summary.unmatched_files == [] and summary.threshold == 0.2
    stored = boxes(season)
    assert stored[0][:3] == ("cams/S1/a.jpg", "person", 0.2)
    assert stored[1] == ("cams/S1/a.jpg", "animal", 0.9, 0.1, 0.2, 0.3, 0.4, "megadetector")


def test_classifications_give_the_species(season, tmp_path):
    data = v1(
        [
            {
                "file": "S1/a.jpg",
                "detections": [{**det(0.9), "classifications": [["4", 0.2], ["3", 0.7]]}],
            }
        ]
    )
    data["classification_categories"] = {"3": "white-tailed deer", "4": "elk"}
    import_detections(write(tmp_path, data), url=season)
    with db.session_scope(season) as s:
        assert s.scalars(select(Detection.species)).one() == "white-tailed deer"


def test_the_files_typical_threshold_is_the_default(season, tmp_path):
    data = v1([{"file": "S1/a.jpg", "detections": [det(0.9), det(0.5), det(0.3)]}], threshold=0.4)
    summary = import_detections(write(tmp_path, data), url=season)
    assert (summary.threshold, summary.detections_stored, summary.below_threshold) == (0.4, 2, 1)


def test_an_explicit_threshold_wins(season, tmp_path):
    data = v1([{"file": "S1/a.jpg", "detections": [det(0.9), det(0.5)]}], threshold=0.4)
    summary = import_detections(write(tmp_path, data), url=season, threshold=0.8)
    assert summary.detections_stored == 1


def test_threshold_outside_zero_one_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="threshold: 1.5 is not between 0 and 1"):
        import_detections(write(tmp_path, v1([])), threshold=1.5)


def test_list_dialect_pixel_boxes_are_normalised_with_the_stored_size(season, tmp_path):
    data = [
        {
            "file": "cams/S1/a.jpg",
            "detections": [
                {"category": "animal", "confidence": 0.93, "bbox": [64.0, 48.0, 384.0, 288.0]}
            ],
        },
        # b.jpg is 640x480 on disk but EXIF-rotated: the detector saw it 480x640.
        {
            "file": "cams/S1/b.jpg",
            "detections": [{"category": 1, "confidence": 0.8, "bbox": [48.0, 64.0, 288.0, 384.0]}],
        },
    ]
    summary = import_detections(write(tmp_path, data), url=season)
    assert (summary.dialect, summary.detections_stored) == ("list", 2)
    a, b = boxes(season)
    assert a[1] == "animal" and a[3:7] == pytest.approx((0.1, 0.1, 0.5, 0.5))
    assert b[1] == "person" and b[3:7] == pytest.approx((0.1, 0.1, 0.5, 0.5))


def test_files_are_matched_by_path_suffix_from_another_root(season, tmp_path):
    data = v1(
        [
            {"file": "D:\\survey\\cams\\S1\\a.jpg", "detections": [det(0.9)]},  # longer, Windows
            {"file": "c.jpg", "detections": [det(0.9)]},  # file name only
            {"file": "S9/a.jpg", "detections": [det(0.9)]},  # another folder: not a.jpg of S1
            {"file": "S3/zzz.jpg", "detections": [det(0.9)]},
        ]
    )
    summary = import_detections(write(tmp_path, data), url=season)
    assert summary.images_matched == 2
    assert summary.unmatched_files == ["S9/a.jpg", "S3/zzz.jpg"]


def test_a_name_that_fits_several_photos_is_ambiguous():
    images = [_Stored(1, _parts("x/S1/a.jpg"), 1, 1, 1), _Stored(2, _parts("x/S2/a.jpg"), 1, 1, 1)]
    matcher = PathMatcher(images)
    assert matcher.match("a.jpg") == (None, True)
    assert matcher.match("S2/A.JPG")[0].id == 2


def test_paths_relative_to_the_json_files_folder_match_exactly(url, tmp_path):
    for station in ("S1", "S2"):  # same card folder and file name under both stations
        make_jpeg(tmp_path / "cams" / station / "100RECNX" / "IMG_0001.JPG", when=T0)
    ingest_folder(tmp_path / "cams", url=url)
    data = v1([{"file": "100RECNX/IMG_0001.JPG", "detections": [det(0.9)]}])
    elsewhere = import_detections(write(tmp_path, data), url=url)
    assert elsewhere.ambiguous_files == ["100RECNX/IMG_0001.JPG"]
    beside = import_detections(write(tmp_path / "cams" / "S2", data), url=url)
    assert beside.images_matched == 1
    assert [b[0] for b in boxes(url)] == ["cams/S2/100RECNX/IMG_0001.JPG"]


def test_reimporting_replaces_unreviewed_boxes_and_keeps_reviewed_ones(season, tmp_path):
    path = write(
        tmp_path,
        v1([{"file": "S1/a.jpg", "detections": [det(0.9), det(0.7, (0.5, 0.5, 0.1, 0.1))]}]),
    )
    import_detections(path, url=season)
    with db.session_scope(season) as s:
        reviewed = s.scalars(select(Detection).where(Detection.confidence == 0.9)).one()
        reviewed.match_status, reviewed.reviewed_by = "rejected", "ana"
    again = import_detections(path, url=season)
    assert (again.detections_replaced, again.detections_kept, again.detections_stored) == (1, 1, 1)
    assert len(boxes(season)) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", r"not valid JSON \(line 1"),
        ({"info": {}}, "no 'images' list"),
        ({"images": {}}, "images: expected a list"),
        ({"info": {"format_version": "2.0"}, "images": []}, r"format_version: '2.0' is not a 1.x"),
        (v1([{"detections": []}]), r"images\[1\]: no file path"),
        (
            v1([{"file": "S1/a.jpg", "detections": None}]),
            r"images\[1\] \(S1/a.jpg\): 'detections' is null",
        ),
        (
            v1([{"file": "S1/a.jpg", "detections": [det(0.9, category="7")]}]),
            r"category '7' is not in detection_categories",
        ),
        (
            v1([{"file": "S1/a.jpg", "detections": [det(1.7)]}]),
            r"detections\[0\]: conf 1.7 is not a number",
        ),
        (
            v1([{"file": "S1/a.jpg", "detections": [det(0.9, (0.1, 0.2, 0.3))]}]),
            r"bbox \[0.1, 0.2, 0.3\] is not four numbers",
        ),
        (
            v1([{"file": "S1/a.jpg", "detections": [det(0.9, (0.8, 0.2, 0.5, 0.1))]}]),
            "is not a normalised",
        ),
        (
            v1([{"file": "S1/a.jpg", "detections": []}, {"file": "S1/a.jpg", "detections": []}]),
            r"images\[2\] \(S1/a.jpg\): the same file is listed at images\[1\]",
        ),
        (
            {
                **v1(
                    [
                        {
                            "file": "a.jpg",
                            "detections": [{**det(0.9), "classifications": [["9", 0.5]]}],
                        }
                    ]
                ),
                "classification_categories": {"1": "deer"},
            },
            r"class '9' is not in classification_categories",
        ),
        (
            [
                {
                    "file": "a.jpg",
                    "detections": [
                        {"category": "animal", "confidence": 0.9, "bbox": [50, 50, 10, 10]}
                    ],
                }
            ],
            r"\[0\] \(a.jpg\) detections\[0\]: bbox .* is not a pixel",
        ),
    ],
)
def test_a_malformed_file_names_the_entry(tmp_path, data, message):
    # A valid entry comes first (entry 0): the error must name the bad one.
    data = copy.deepcopy(data)
    if isinstance(data, dict) and isinstance(data.get("images"), list):
        data["images"].insert(0, {"file": "S1/b.jpg", "detections": [det(0.95)]})
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    with pytest.raises(DetectionFileError, match=message):
        parse_detection_file(path)


def test_a_malformed_file_stores_nothing(season, tmp_path):
    import_detections(
        write(tmp_path, v1([{"file": "S2/c.jpg", "detections": [det(0.9)]}])), url=season
    )
    before = boxes(season)
    bad = v1(
        [
            {"file": "S1/a.jpg", "detections": [det(0.95)]},
            {"file": "S2/c.jpg", "detections": []},  # would replace c.jpg's box
            {"file": "S1/b.jpg", "detections": [det(0.9, (0.1, 0.2, 0.3))]},
        ]
    )
    with pytest.raises(DetectionFileError, match=r"images\[2\] \(S1/b.jpg\)"):
        import_detections(write(tmp_path, bad, "bad.json"), url=season)
    assert boxes(season) == before
