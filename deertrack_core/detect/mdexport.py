"""Export detections as a MegaDetector batch output file (format 1.4; lila.science/megadetector-output-format).

Timelapse, AddaxAI and MegaDetector's own postprocessing read it, and so does DeerTrack's
importer (:func:`deertrack_core.ingest.import_detections`): exporting and importing again gives
the same boxes, confidences and species. What goes in:

* ``info``: ``format_version`` "1.4", ``detector`` (the model(s) the boxes came from),
  ``detection_completion_time``, ``detector_metadata.typical_detection_threshold``, and
  ``deertrack_image_folder``: the folder the ``file`` paths are relative to (for Timelapse,
  put the file in that folder, where its template lies);
* ``detection_categories`` {"1": animal, "2": person, "3": vehicle};
* ``classification_categories`` (id → species name) and
  ``classification_category_descriptions`` (id → SpeciesNet-style taxonomy) when any box has
  a species; each such box then has ``classifications`` [[id, score]];
* ``images[]``: every photo of the request (blank ones with ``"detections": []``), its ``file``
  relative to the common folder, and its boxes (normalised ``[x, y, w, h]``, top-left origin;
  boxes a reviewer rejected as "not an animal" are left out).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from deertrack_core import paths, settings
from deertrack_core.analysis.load import day_bounds
from deertrack_core.models import Detection, Image, MatchStatus
from deertrack_core.progress import ProgressCallback, noop
from deertrack_core.species import from_key

FORMAT_VERSION = "1.4"
CATEGORIES = {"animal": "1", "person": "2", "vehicle": "3"}


def _description(taxonomy: str | None) -> str | None:
    taxon = from_key(taxonomy)
    if taxon is None or not taxon.known:
        return None
    parts = (taxon.class_, taxon.order, taxon.family, taxon.genus, taxon.species, taxon.common)
    return ";" + ";".join(parts)  # SpeciesNet's order, without its uuid


def build(session: Session, request, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The MegaDetector-format document for ``request`` (date range and deployments)."""
    lo, hi = day_bounds(request.start_date, request.end_date)
    stmt = select(Image.id, Image.path).order_by(Image.path)
    if lo is not None:
        stmt = stmt.where(Image.captured_at >= lo)
    if hi is not None:
        stmt = stmt.where(Image.captured_at < hi)
    if request.deployments:
        stmt = stmt.where(Image.deployment_id.in_(list(request.deployments)))
    images = session.execute(stmt).all()
    files = {i: paths.resolve(p) for i, p in images}
    root = Path(os.path.commonpath([str(f.parent) for f in files.values()])) if files else Path(".")
    boxes: dict[int, list[Detection]] = {}
    ids = list(files)
    for i in range(0, len(ids), 500):
        for det in session.scalars(
            select(Detection)
            .where(
                Detection.image_id.in_(ids[i : i + 500]),
                Detection.match_status != MatchStatus.REJECTED.value,
                Detection.category.in_(list(CATEGORIES)),
            )
            .order_by(Detection.confidence.desc(), Detection.id)
        ):
            boxes.setdefault(det.image_id, []).append(det)
    classes: dict[tuple[str, str | None], str] = {}
    out_images = []
    for image_id, _ in images:
        dets = []
        for d in boxes.get(image_id, []):
            entry: dict[str, Any] = {
                "category": CATEGORIES[d.category],
                "conf": float(d.confidence),
                "bbox": [float(d.x), float(d.y), float(d.w), float(d.h)],
            }
            if d.category == "animal" and d.species:
                key = (d.species, _description(d.species_taxonomy))
                cid = classes.setdefault(key, str(len(classes) + 1))
                score = 1.0 if d.species_score is None else float(d.species_score)
                entry["classifications"] = [[cid, score]]
            dets.append(entry)
        rel = files[image_id].relative_to(root).as_posix() if files else ""
        out_images.append({"file": rel, "detections": dets})
    sources = sorted({d.source for ds in boxes.values() for d in ds})
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    doc: dict[str, Any] = {
        "info": {
            "format_version": FORMAT_VERSION,
            "detector": ", ".join(sources) or "none",
            "detection_completion_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "detector_metadata": {"typical_detection_threshold": settings.detection_threshold()},
            "deertrack_image_folder": paths.storable(root.as_posix()),
        },
        "detection_categories": {v: k for k, v in CATEGORIES.items()},
        "images": out_images,
    }
    if classes:
        doc["classification_categories"] = {cid: name for (name, _), cid in classes.items()}
        described = {cid: text for (_, text), cid in classes.items() if text}
        if described:
            doc["classification_category_descriptions"] = {
                cid: described.get(cid, f";;;;;;{name}") for (name, _), cid in classes.items()
            }
    return doc


def write_md_json(
    session: Session, request, path: Path, *, progress: ProgressCallback | None = None,
    now: dt.datetime | None = None,
) -> int:  # fmt: skip
    """Write the document for ``request`` to ``path``; return the number of photos in it."""
    progress = progress or noop
    doc = build(session, request, now=now)
    progress(3, 5, f"writing {len(doc['images']):,} photos")
    Path(path).write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return len(doc["images"])
