"""The species gate end to end: SpeciesNet and MegaDetector species, photo tags, matching and
exports (real photos where ../shared is present, real databases)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zipfile

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from deertrack_core import db
from deertrack_core import species as sp
from deertrack_core.ingest import import_detections, ingest_folder
from deertrack_core.models import Deer, Detection, SpeciesLabel
from deertrack_core.reid.matching import match_pending
from deertrack_core.reports.build import build_export
from deertrack_core.reports.request import validate_export_request
from tests.ingest.photos import make_jpeg

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)
UUID = "00000000-0000-0000-0000-000000000000"
# SpeciesNet labels for the real sample photos (written for this test from the photos' source
# datasets, not SpeciesNet's output): deer, other species, and photos it names no species for.
FIXTURE = {
    "nacti_part1_sub198_FL-16_09_03_2015_FL-16_0089498.jpg": "mammalia;cetartiodactyla;cervidae;odocoileus;virginianus;white-tailed deer",
    "idaho_camera_traps_loc_0044_loc_0044_im_005629.jpg": "mammalia;cetartiodactyla;cervidae;odocoileus;hemionus;mule deer",
    "snapshot_camdeboo_CDB_S1_A05_A05_R2_CDB_S1_A05_R2_IMAG0084.JPG": "mammalia;cetartiodactyla;bovidae;antidorcas;marsupialis;springbok",
    "snapshot_enonkishu_ENO_S1_B05_B05_R2_ENO_S1_B05_R2_IMAG0624.JPG": "mammalia;primates;cercopithecidae;papio;anubis;olive baboon",
    "snapshot_karoo_KAR_S1_E03_E03_R1_KAR_S1_E03_R1_IMAG0440.JPG": "mammalia;cetartiodactyla;bovidae;tragelaphus;strepsiceros;greater kudu",
    "snapshot_kruger_KRU_S1_25_25_R1_KRU_S1_25_R1_IMAG0012.JPG": "mammalia;proboscidea;elephantidae;loxodonta;africana;african elephant",
    "wcs_camera_traps_animals_0090_1439.jpg": "mammalia;cetartiodactyla;tayassuidae;pecari;tajacu;collared peccary",
    "missouri_camera_traps_Set1_1.02-Agouti_SEQ89823_SEQ89823_IMG_0002.JPG": "mammalia;rodentia;dasyproctidae;dasyprocta;punctata;central american agouti",
    "channel_islands_camera_traps_loc-h500ee07133550_010_643.jpg": "mammalia;carnivora;canidae;urocyon;littoralis;island fox",
}


def speciesnet_file(md: dict, folder, names: dict[str, str]) -> dict:
    """A SpeciesNet predictions.json over a MegaDetector file's boxes."""
    preds = []
    for image in md["images"]:
        name = image["file"].rsplit("/", 1)[-1]
        label = f"{UUID};{names[name]}" if name in names else f"{UUID};;;;;;animal"
        dets = [
            {"category": d["category"], "label": md["detection_categories"][d["category"]],
             "conf": d["conf"], "bbox": d["bbox"]}
            for d in image["detections"]
        ]  # fmt: skip
        preds.append({"filepath": str(folder / "test_images" / name), "detections": dets,
                      "classifications": {"classes": [label], "scores": [0.91]},
                      "prediction": label, "prediction_score": 0.91,
                      "prediction_source": "classifier", "model_version": "4.0.1a"})  # fmt: skip
    return {"predictions": preds}


def boxes(url):
    with db.session_scope(url) as s:
        stmt = select(Detection).options(selectinload(Detection.image))
        return list(s.scalars(stmt.where(Detection.category == "animal")))


def test_speciesnet_leaves_every_other_species_without_a_deer(url, shared_data, tmp_path):
    folder = shared_data / "megadetector-samples"
    ingest_folder(folder, url=url)
    md = json.loads((folder / "md_v5a_output.json").read_text())
    import_detections(folder / "md_v5a_output.json", url=url)
    # The machine first makes a "deer" of every animal (the behaviour the gate fixes)...
    first = match_pending(url, new_individuals="create", threshold=0.99)
    assert first.detections == len(boxes(url))
    # ...then SpeciesNet says what they are.
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps(speciesnet_file(md, folder, FIXTURE)))
    summary = import_detections(path, url=url)
    assert summary.dialect == "speciesnet"
    assert summary.species_labels == sum(
        1 for d in boxes(url) if d.image.path.rsplit("/", 1)[-1] in FIXTURE
    )
    assert summary.identities_withdrawn > 0
    again = match_pending(url, new_individuals="create", threshold=0.99)
    dets = boxes(url)
    others = [d for d in dets if d.species_taxonomy and not sp.is_target(d.species_taxonomy)]
    deer = [d for d in dets if d.species == "white-tailed deer"]
    unknown = [d for d in dets if d.species_taxonomy is None]
    assert others and deer and unknown
    assert all(d.deer_id is None for d in others)  # the gate
    assert all(d.deer_id is not None for d in deer + unknown)
    assert again.detections == 0  # nothing new entered matching
    assert {d.species_source for d in others + deer} == {"speciesnet"}
    assert {round(d.species_score, 2) for d in others} == {0.91}
    with db.session_scope(url) as s:
        # every deer left has a sighting: the ones made for springboks were removed
        orphans = s.scalar(
            select(func.count(Deer.id)).where(
                ~Deer.id.in_(select(Detection.deer_id).where(Detection.deer_id.is_not(None)))
            )
        )
    assert orphans == 0


def test_with_odocoileus_as_target_the_mule_deer_enters(url, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_TARGET_SPECIES", "Odocoileus")
    folder = shared_data / "megadetector-samples"
    ingest_folder(folder, url=url)
    md = json.loads((folder / "md_v5a_output.json").read_text())
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps(speciesnet_file(md, folder, FIXTURE)))
    import_detections(path, url=url)
    match_pending(url, new_individuals="create", threshold=0.99)
    mule = [d for d in boxes(url) if d.species == "mule deer"]
    assert len(mule) == 4 and all(d.deer_id is not None for d in mule)


def _synthetic(tmp_path, url):
    for i, name in enumerate(["deer.jpg", "coon.jpg", "blank.jpg"]):
        make_jpeg(tmp_path / "cams" / "S1" / name, when=T0 + dt.timedelta(hours=i), size=(160, 120))
    ingest_folder(tmp_path / "cams", url=url)


def test_a_megadetector_file_with_classifications(url, tmp_path):
    _synthetic(tmp_path, url)
    box = {"category": "1", "conf": 0.9, "bbox": [0.2, 0.2, 0.5, 0.5]}
    doc = {
        "info": {"format_version": "1.4"},
        "detection_categories": {"1": "animal", "2": "person", "3": "vehicle"},
        "classification_categories": {"3": "white-tailed deer", "7": "raccoon"},
        "classification_category_descriptions": {
            "3": f"{UUID};mammalia;cetartiodactyla;cervidae;odocoileus;virginianus;white-tailed deer",
            "7": f"{UUID};mammalia;carnivora;procyonidae;procyon;lotor;raccoon",
        },
        "images": [
            {
                "file": "S1/deer.jpg",
                "detections": [{**box, "classifications": [["3", 0.8], ["7", 0.1]]}],
            },
            {"file": "S1/coon.jpg", "detections": [{**box, "classifications": [["7", 0.7]]}]},
            {"file": "S1/blank.jpg", "detections": [box]},
        ],
    }
    path = tmp_path / "cams" / "md.json"
    path.write_text(json.dumps(doc))
    assert import_detections(path, url=url).species_labels == 2
    by_file = {d.image.path.rsplit("/", 1)[-1]: d for d in boxes(url)}
    assert (by_file["deer.jpg"].species, by_file["deer.jpg"].species_score) == (
        "white-tailed deer",
        0.8,
    )
    assert (
        by_file["coon.jpg"].species_taxonomy
        == ";mammalia;carnivora;procyonidae;procyon;lotor;raccoon;"
    )
    assert by_file["blank.jpg"].species is None
    match_pending(url, new_individuals="create", threshold=0.99)
    by_file = {d.image.path.rsplit("/", 1)[-1]: d for d in boxes(url)}
    assert by_file["coon.jpg"].deer_id is None
    assert by_file["deer.jpg"].deer_id is not None and by_file["blank.jpg"].deer_id is not None

    # Exports: the raccoon as what it is, the deer as the target species.
    out = tmp_path / "out"
    request = validate_export_request({"report_type": "detections_csv"})
    with open(build_export(request, out, url=url), newline="") as fh:
        rows = {r["image_path"].rsplit("/", 1)[-1]: r for r in csv.DictReader(fh)}
    assert (rows["coon.jpg"]["species"], rows["coon.jpg"]["scientific_name"]) == (
        "raccoon",
        "Procyon lotor",
    )
    assert rows["coon.jpg"]["species_source"] == "megadetector"
    assert rows["deer.jpg"]["scientific_name"] == "Odocoileus virginianus"
    package = build_export(validate_export_request({"report_type": "camtrap_dp"}), out, url=url)
    with zipfile.ZipFile(package) as z:
        obs = list(csv.DictReader(z.read("observations.csv").decode().splitlines()))
    names = {
        o["scientificName"] for o in obs if o["observationLevel"] == "media" and o["scientificName"]
    }
    assert names == {"Procyon lotor", "Odocoileus virginianus"}


def test_species_folders_label_the_boxes_of_their_photos(url, tmp_path):
    make_jpeg(tmp_path / "cams" / "StationA" / "Raccoon" / "a.jpg", when=T0, size=(160, 120))
    make_jpeg(
        tmp_path / "cams" / "StationA" / "White-tailed deer" / "b.jpg", when=T0, size=(160, 120)
    )
    ingest_folder(tmp_path / "cams", url=url, layout="station/species")
    doc = [{"file": f"StationA/{sp_}/{n}", "detections": [{"category": 0, "confidence": 0.9, "bbox": [10, 10, 100, 90]}]}
           for sp_, n in (("Raccoon", "a.jpg"), ("White-tailed deer", "b.jpg"))]  # fmt: skip
    path = tmp_path / "cams" / "md.json"
    path.write_text(json.dumps(doc))
    import_detections(path, url=url)
    with db.session_scope(url) as s:
        labels = {lab.label: lab.source for lab in s.scalars(select(SpeciesLabel))}
        gate = sp.gate_counts(s)
    assert labels == {"Raccoon": "tag", "White-tailed deer": "tag"}
    assert gate == {"target": 1, "other": 1, "unknown": 0}
