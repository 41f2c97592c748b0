"""deertrack export --type megadetector_json: the MegaDetector batch format (1.4), read back
unchanged by our importer, as the format's specification asks (lila.science/megadetector-output-format)."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from deertrack_cli.main import main
from deertrack_core import db
from deertrack_core.ingest import import_detections, ingest_folder
from deertrack_core.models import Detection, Image, SpeciesLabel
from deertrack_core.reports.build import build_export
from deertrack_core.reports.request import validate_export_request
from tests.species.test_gate import FIXTURE, speciesnet_file


def boxes(url) -> set[tuple]:
    with db.session_scope(url) as s:
        rows = s.execute(
            select(Image.path, Detection.category, Detection.confidence, Detection.x, Detection.y,
                   Detection.w, Detection.h, Detection.species, Detection.species_taxonomy)
            .join(Image, Image.id == Detection.image_id)
        ).all()  # fmt: skip
    return {(p, c, round(conf, 9), round(x, 9), round(y, 9), round(w, 9), round(h, 9), sp, tx)
            for p, c, conf, x, y, w, h, sp, tx in rows}  # fmt: skip


def check_format(doc: dict) -> None:
    """The rules of the format specification that Timelapse relies on."""
    assert doc["info"]["format_version"] == "1.4"
    cats = doc["detection_categories"]
    assert cats == {"1": "animal", "2": "person", "3": "vehicle"}
    classes = doc.get("classification_categories", {})
    if "classification_category_descriptions" in doc:
        assert set(doc["classification_category_descriptions"]) == set(classes)
    for image in doc["images"]:
        assert isinstance(image["file"], str) and "\\" not in image["file"]
        assert not image["file"].startswith("/")
        assert isinstance(image["detections"], list)  # present, even when empty
        for det in image["detections"]:
            assert det["category"] in cats and 0 <= det["conf"] <= 1
            x, y, w, h = det["bbox"]
            assert 0 <= x <= 1 and 0 <= y <= 1 and x + w <= 1.0001 and y + h <= 1.0001
            for cid, score in det.get("classifications", []):
                assert cid in classes and 0 <= score <= 1


def test_real_boxes_and_species_round_trip(url, shared_data, tmp_path):
    folder = shared_data / "megadetector-samples"
    ingest_folder(folder, url=url)
    md = json.loads((folder / "md_v5a_output.json").read_text())
    (tmp_path / "p.json").write_text(json.dumps(speciesnet_file(md, folder, FIXTURE)))
    import_detections(tmp_path / "p.json", url=url)
    before = boxes(url)
    assert len(before) == 30 and sum(1 for b in before if b[7]) > 0
    path = build_export(
        validate_export_request({"report_type": "megadetector_json"}), tmp_path / "out", url=url
    )
    doc = json.loads(path.read_text())
    check_format(doc)
    assert len(doc["images"]) == 31
    assert doc["info"]["deertrack_image_folder"].endswith("megadetector-samples/test_images")
    # Into a database that has the photos but no boxes: the same boxes and species come back.
    with db.session_scope(url) as s:
        s.execute(delete(SpeciesLabel))
        s.execute(delete(Detection))
    summary = import_detections(path, url=url)
    assert (summary.images_matched, summary.unmatched_files, summary.below_threshold) == (31, [], 0)
    assert boxes(url) == before


def test_the_cli_writes_it(url, tmp_path, capsys):
    from tests.ingest.photos import make_jpeg

    make_jpeg(tmp_path / "cams" / "S1" / "a.jpg", size=(160, 120))
    ingest_folder(tmp_path / "cams", url=url)
    assert (
        main(["export", "--type", "megadetector_json", "--out", str(tmp_path / "out"), "--quiet"])
        == 0
    )
    doc = json.loads(open(capsys.readouterr().out.strip()).read())
    check_format(doc)
    assert doc["images"] == [{"file": "a.jpg", "detections": []}]
    assert "classification_categories" not in doc
