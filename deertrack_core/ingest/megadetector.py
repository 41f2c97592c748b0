"""import_detections: store a MegaDetector output file's boxes on the photos already ingested.

A file is first looked for at its path relative to the JSON file's folder (where MegaDetector
writes it by default). Otherwise it is matched to stored photos by path suffix, so the detector
may have run on another machine or from another root: ``test_images/x.jpg`` matches a photo stored as
``data/test_images/x.jpg`` and the other way round; paths that share the file name and at least
one folder also match when only one photo fits. Comparison ignores case and ``\\`` vs ``/``.

Re-importing is safe: on each matched photo the import replaces the boxes of source
``megadetector`` that nobody has matched or reviewed yet; boxes that carry an identity or a
review are kept, and a new box equal to a kept one is not added again.
The whole file is stored in one transaction: a malformed file stores nothing.

Species (SpeciesNet predictions, a MegaDetector file's classifications) become species labels
of the boxes, kept ones included (:mod:`deertrack_core.species`); a box now known to be another
species loses the identity the machine gave it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from deertrack_core import auth, db, paths, species
from deertrack_core.errors import ValidationError
from deertrack_core.ingest.mdformat import (
    DEFAULT_THRESHOLD,
    RawBox,
    RawEntry,
    parse_detection_file,
)
from deertrack_core.ingest.store import FileProblem
from deertrack_core.models import Detection, Image, MatchStatus
from deertrack_core.progress import ProgressCallback

log = logging.getLogger(__name__)

SOURCE = "megadetector"


@dataclass(frozen=True)
class ImportSummary:
    images_matched: int
    detections_stored: int
    unmatched_files: list[str]
    below_threshold: int
    failed_images: int  # entries the detector itself reported as failed
    threshold: float = DEFAULT_THRESHOLD
    dialect: str = "1.x"
    detections_replaced: int = 0  # earlier unreviewed boxes replaced on re-import
    detections_kept: int = 0  # earlier boxes kept because they carry an identity or a review
    ambiguous_files: list[str] = field(default_factory=list)
    failures: list[FileProblem] = field(default_factory=list)
    species_labels: int = 0  # boxes given a species by the file
    identities_withdrawn: int = 0  # machine identities of boxes now known to be another species
    repeat_groups: int = 0  # groups of boxes recurring at one place (suspected static objects)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Stored:
    id: int
    parts: tuple[str, ...]  # lower-cased path components
    width: int
    height: int
    orientation: int


def _parts(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.replace("\\", "/").lower().split("/") if p and p != ".")


def _join(base: tuple[str, ...], parts: tuple[str, ...]) -> tuple[str, ...]:
    out = list(base)
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return tuple(out)


def _common_suffix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


class PathMatcher:
    """Finds the stored photo for a detector's file path (see the module docstring)."""

    def __init__(self, images: list[_Stored], base: str = ""):
        """``base``: the stored path of the folder the detector's paths are relative to (the
        JSON file's folder); a file found exactly there wins over any suffix match."""
        self.by_name: dict[str, list[_Stored]] = defaultdict(list)
        self.by_parts: dict[tuple[str, ...], _Stored] = {}
        for im in images:
            if im.parts:
                self.by_name[im.parts[-1]].append(im)
                self.by_parts[im.parts] = im
        self.base = _parts(base)

    def match(self, file: str) -> tuple[_Stored | None, bool]:
        """(photo, ambiguous): the photo, or None; ambiguous when several fit equally well."""
        parts = _parts(file)
        if not parts:
            return None, False
        exact = self.by_parts.get(_join(self.base, parts)) or self.by_parts.get(parts)
        if exact is not None:
            return exact, False
        scored = []
        for im in self.by_name.get(parts[-1], []):
            n = _common_suffix(parts, im.parts)
            if n == len(parts) or n == len(im.parts) or n >= 2:
                scored.append((n, im))
        if not scored:
            return None, False
        best = max(n for n, _ in scored)
        winners = [im for n, im in scored if n == best]
        if len(winners) > 1:
            return None, True
        return winners[0], False


def to_normalised(box: RawBox, im: _Stored) -> tuple[float, float, float, float] | None:
    """A box as normalised, clamped [x, y, w, h]; None when a pixel box meets an unknown size."""
    if box.pixel:
        # Detectors see the photo upright (EXIF orientation applied): 5-8 swap width and height.
        w_px, h_px = (
            (im.height, im.width) if im.orientation in (5, 6, 7, 8) else (im.width, im.height)
        )
        if w_px <= 0 or h_px <= 0:
            return None
        x1, y1, x2, y2 = box.bbox
        x, y, w, h = x1 / w_px, y1 / h_px, (x2 - x1) / w_px, (y2 - y1) / h_px
    else:
        x, y, w, h = box.bbox
    x = min(max(x, 0.0), 1.0)
    y = min(max(y, 0.0), 1.0)
    return x, y, min(max(w, 0.0), 1.0 - x), min(max(h, 0.0), 1.0 - y)


def import_detections(
    path: Path,
    *,
    url: str | None = None,
    threshold: float | None = None,
    progress: ProgressCallback | None = None,
    actor: auth.Actor | None = None,
) -> ImportSummary:
    """Import a MegaDetector output file (batch format 1.x or the v6 list) in one transaction.

    Keeps boxes whose confidence is at or above ``threshold`` (default: the file's
    ``detector_metadata.typical_detection_threshold``, else 0.2). Raises DetectionFileError for a
    malformed file, naming the entry and the problem; then nothing is stored. ``actor`` must be
    an admin; a signed-in user's file must lie under the data root.
    """
    if threshold is not None and not (0.0 <= float(threshold) <= 1.0):
        raise ValidationError({"threshold": f"{threshold} is not between 0 and 1"})
    if actor is not None and actor.confined:
        path = paths.within_data_root(path, "The detections file")
    db.require_schema(db.get_engine(url))
    auth.require_url(url, actor, auth.ADMIN, "import detections")
    parsed = parse_detection_file(Path(path))
    if threshold is None:
        threshold = parsed.typical_threshold
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    total = len(parsed.entries)
    with db.session_scope(url) as session:
        base = paths.to_stored(Path(path).resolve().parent)
        matcher = PathMatcher(_stored_images(session), "" if base == "." else base)
        state = _State(existing=_existing_boxes(session))
        for n, entry in enumerate(parsed.entries, start=1):
            _import_entry(matcher, entry, threshold, state)
            if progress and (n % 200 == 0 or n == total):
                progress(n, total, f"{state.matched} photos matched")
        for i in range(0, len(state.drop), 500):
            session.execute(delete(Detection).where(Detection.id.in_(state.drop[i : i + 500])))
        new_ids: list[int] = []
        if state.rows:
            new_ids = list(
                session.scalars(
                    insert(Detection).returning(Detection.id, sort_by_parameter_order=True),
                    state.rows,
                )
            )
        labels = [
            {
                **label,
                "detection_id": new_ids[i]
                if label["detection_id"] is None
                else label["detection_id"],
            }
            for i, label in state.labels
        ]
        source = "speciesnet" if parsed.dialect == "speciesnet" else "megadetector"
        labelled = species.add_labels(session, ({**lab, "source": source} for lab in labels))
        species.apply_photo_tags(session, new_ids)
        withdrawn = species.withdraw_non_target(session)
        from deertrack_core.detect.repeats import find_repeats

        repeat_groups = len(find_repeats(session)) if state.rows else 0
    summary = ImportSummary(
        images_matched=state.matched,
        detections_stored=len(state.rows),
        unmatched_files=state.unmatched,
        below_threshold=state.below,
        failed_images=len(state.failures),
        threshold=threshold,
        dialect=parsed.dialect,
        detections_replaced=len(state.drop),
        detections_kept=state.kept,
        ambiguous_files=state.ambiguous,
        failures=state.failures,
        species_labels=len(labelled),
        identities_withdrawn=withdrawn,
        repeat_groups=repeat_groups,
    )
    log.info(
        "imported %s: %d photos matched, %d boxes stored, %d unmatched",
        path,
        summary.images_matched,
        summary.detections_stored,
        len(summary.unmatched_files),
    )
    return summary


@dataclass
class _State:
    matched: int = 0
    below: int = 0
    kept: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    failures: list[FileProblem] = field(default_factory=list)
    existing: dict[int, list] = field(default_factory=dict)
    drop: list[int] = field(default_factory=list)
    # (index of the new row or -1, label): a kept box's label carries its detection_id already
    labels: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _stored_images(session: Session) -> list[_Stored]:
    rows = session.execute(
        select(Image.id, Image.path, Image.width, Image.height, Image.orientation)
    ).all()
    return [_Stored(r.id, _parts(r.path), r.width, r.height, r.orientation) for r in rows]


def _import_entry(matcher: PathMatcher, entry: RawEntry, threshold: float, state: _State) -> None:
    if entry.failure is not None:
        state.failures.append(FileProblem(entry.file, entry.failure))
        return
    image, ambiguous = matcher.match(entry.file)
    if image is None:
        (state.ambiguous if ambiguous else state.unmatched).append(entry.file)
        return
    boxes = []
    for box in entry.boxes:
        if box.conf < threshold:
            state.below += 1
            continue
        xywh = to_normalised(box, image)
        if xywh is None:
            state.failures.append(
                FileProblem(entry.file, "pixel boxes but the photo's size is unknown")
            )
            return
        boxes.append((box, xywh))
    state.matched += 1
    kept = _clear_unreviewed(image.id, state)
    for box, (x, y, w, h) in boxes:
        key = (box.category, round(x, 4), round(y, 4), round(w, 4), round(h, 4))
        label = _label(box)
        if key in kept:
            if label is not None:  # the species reaches the box a person or the matcher kept
                state.labels.append((-1, {**label, "detection_id": kept[key]}))
            continue
        if label is not None:
            state.labels.append((len(state.rows), {**label, "detection_id": None}))
        state.rows.append(
            {
                "image_id": image.id,
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "confidence": box.conf,
                "category": box.category,
                "source": SOURCE,
                "species": box.species or (None if box.label == box.category else box.label),
                "match_status": MatchStatus.PENDING.value,
                "version": 1,
            }
        )


def _existing_boxes(session: Session) -> dict[int, list]:
    rows = session.execute(
        select(
            Detection.id,
            Detection.image_id,
            Detection.x,
            Detection.y,
            Detection.w,
            Detection.h,
            Detection.category,
            Detection.deer_id,
            Detection.match_status,
            Detection.reviewed_by,
        ).where(Detection.source == SOURCE)
    ).all()
    out: dict[int, list] = defaultdict(list)
    for r in rows:
        out[r.image_id].append(r)
    return out


def _label(box: RawBox) -> dict[str, Any] | None:
    if not box.species:
        return None
    taxon = species.from_speciesnet(box.taxonomy) if box.taxonomy else None
    return {
        "label": box.species,
        "taxonomy": taxon.key if taxon is not None else None,
        "score": box.species_score,
    }


def _clear_unreviewed(image_id: int, state: _State) -> dict[tuple, int]:
    """Mark the image's unreviewed megadetector boxes for deletion; return the kept ones' keys
    (and ids)."""
    kept: dict[tuple, int] = {}
    for d in state.existing.pop(image_id, []):
        if d.deer_id is None and d.reviewed_by is None and d.match_status == MatchStatus.PENDING:
            state.drop.append(d.id)
        else:
            kept[(d.category, round(d.x, 4), round(d.y, 4), round(d.w, 4), round(d.h, 4))] = d.id
    state.kept += len(kept)
    return kept
