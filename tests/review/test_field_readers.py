"""The queries under the Import page's checks, on both backends: photos without boxes, one
example photo per repeat group, flagged photo times, and detections per species and source."""

from __future__ import annotations

from sqlalchemy import select

from deertrack_core.detect.repeats import examples
from deertrack_core.detect.run import photos_without_boxes
from deertrack_core.ingest.plausible import BEFORE_1990, flagged_count, flagged_photos
from deertrack_core.models import Deployment, Detection, Image, RepeatGroup
from deertrack_core.species import species_counts

ELK = ";mammalia;cetartiodactyla;cervidae;cervus;canadensis;elk;"


def test_field_readers(archive, session, monkeypatch):
    monkeypatch.delenv("DEERTRACK_TARGET_SPECIES", raising=False)
    total = session.scalar(select(Image.id).order_by(Image.id.desc()).limit(1))
    bare_before, n = photos_without_boxes(session)
    assert bare_before == 0 and n == total
    session.add(Image(deployment_id=archive.deployments[0], path="North/empty.jpg",
                      sha256="e" * 64, width=10, height=10))  # fmt: skip
    dets = session.scalars(select(Detection).order_by(Detection.id)).all()
    group = RepeatGroup(deployment_id=archive.deployments[0], x=0.3, y=0.3, w=0.4, h=0.45)
    session.add(group)
    session.flush()
    for d in dets[2:5]:
        d.repeat_group_id = group.id
    dets[0].species, dets[0].species_source, dets[0].species_taxonomy = "elk", "speciesnet", ELK
    image = session.get(Image, dets[1].image_id)
    image.time_problem = BEFORE_1990
    session.commit()

    assert photos_without_boxes(session) == (1, n + 1)
    path, box = examples(session, [group.id])[group.id]
    assert path == session.get(Image, dets[2].image_id).path and box == (0.3, 0.3, 0.4, 0.45)
    rows = flagged_photos(session)
    dep = session.get(Deployment, image.deployment_id)
    assert [(r["id"], r["station"], r["time_problem"]) for r in rows] == [
        (image.id, dep.label, BEFORE_1990)
    ]
    assert flagged_count(session) == {BEFORE_1990: 1}
    counts = {
        (r["species"], r["source"]): (r["detections"], r["target"]) for r in species_counts(session)
    }
    assert counts[("elk", "speciesnet")] == (1, False)
    assert counts[(None, None)] == (len(dets) - 1, True)  # unknown species pass the gate
