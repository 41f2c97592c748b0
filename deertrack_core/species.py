"""The species gate: only the target species enters re-identification.

Every source of a species for a detection is kept as a :class:`~deertrack_core.models.SpeciesLabel`
(its label, taxonomy and score); the best one is copied onto the detection (``species``,
``species_source``, ``species_score``, ``species_taxonomy``). Best means, in this order:

1. ``reviewer`` — a person chose it (see :mod:`deertrack_core.species_review`); never overridden;
2. ``tag`` — the photo's species folder or XMP tag (a person's label, for the whole photo);
3. ``speciesnet`` / ``megadetector`` — a species classifier on the box, highest score first;
4. ``classifier`` — the target / not-target classifier learned from the user's own labels
   (:mod:`deertrack_core.species_classifier`), only where nothing better exists.

A taxonomy is stored as ``;class;order;family;genus;species;common name;`` in lower case (the
SpeciesNet order), so that the gate is one SQL ``LIKE`` per target: ``DEERTRACK_TARGET_SPECIES``
names species (``white-tailed deer``, ``Odocoileus virginianus``), genera (``Odocoileus``) or
families (``Cervidae``). A detection with no known species is let through (a folder of deer
photos without any species source must still work); one of a known other species is kept out
of matching and exported as what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, false, func, or_, select
from sqlalchemy.orm import Session

from deertrack_core import settings
from deertrack_core.deer import refresh_span
from deertrack_core.models import (
    Correction,
    Deer,
    Detection,
    Image,
    MatchStatus,
    RepeatGroup,
    SpeciesLabel,
)

#: Sources, best first; the classifier only where nothing else is known.
RANK = {"reviewer": 0, "tag": 1, "speciesnet": 2, "megadetector": 2, "classifier": 3}

_M = "mammalia;cetartiodactyla"
#: Common names people, folders and detectors use → class;order;family;genus;species.
KNOWN: dict[str, str] = {
    "white-tailed deer": f"{_M};cervidae;odocoileus;virginianus",
    "whitetail deer": f"{_M};cervidae;odocoileus;virginianus",
    "whitetail": f"{_M};cervidae;odocoileus;virginianus",
    "mule deer": f"{_M};cervidae;odocoileus;hemionus",
    "black-tailed deer": f"{_M};cervidae;odocoileus;hemionus",
    "elk": f"{_M};cervidae;cervus;canadensis",
    "wapiti": f"{_M};cervidae;cervus;canadensis",
    "red deer": f"{_M};cervidae;cervus;elaphus",
    "sika deer": f"{_M};cervidae;cervus;nippon",
    "moose": f"{_M};cervidae;alces;alces",
    "caribou": f"{_M};cervidae;rangifer;tarandus",
    "reindeer": f"{_M};cervidae;rangifer;tarandus",
    "fallow deer": f"{_M};cervidae;dama;dama",
    "roe deer": f"{_M};cervidae;capreolus;capreolus",
    "reeves's muntjac": f"{_M};cervidae;muntiacus;reevesi",
    "deer": f"{_M};cervidae;;",
    "cattle": f"{_M};bovidae;bos;taurus",
    "cow": f"{_M};bovidae;bos;taurus",
    "wild boar": f"{_M};suidae;sus;scrofa",
    "feral hog": f"{_M};suidae;sus;scrofa",
    "horse": "mammalia;perissodactyla;equidae;equus;caballus",
    "domestic dog": "mammalia;carnivora;canidae;canis;familiaris",
    "dog": "mammalia;carnivora;canidae;canis;familiaris",
    "coyote": "mammalia;carnivora;canidae;canis;latrans",
    "red fox": "mammalia;carnivora;canidae;vulpes;vulpes",
    "raccoon": "mammalia;carnivora;procyonidae;procyon;lotor",
    "american black bear": "mammalia;carnivora;ursidae;ursus;americanus",
    "black bear": "mammalia;carnivora;ursidae;ursus;americanus",
    "bobcat": "mammalia;carnivora;felidae;lynx;rufus",
    "domestic cat": "mammalia;carnivora;felidae;felis;catus",
    "leopard cat": "mammalia;carnivora;felidae;prionailurus;bengalensis",
    "virginia opossum": "mammalia;didelphimorphia;didelphidae;didelphis;virginiana",
    "eastern gray squirrel": "mammalia;rodentia;sciuridae;sciurus;carolinensis",
    "wild turkey": "aves;galliformes;phasianidae;meleagris;gallopavo",
    "human": "mammalia;primates;hominidae;homo;sapiens",
}
_BINOMIAL = re.compile(r"^([A-Za-z][a-z]+)\s+([a-z]+)$")
_RANK_SUFFIX = (("idae", 2), ("inae", 2), ("formes", 1), ("dactyla", 1))


@dataclass(frozen=True)
class Taxon:
    class_: str = ""
    order: str = ""
    family: str = ""
    genus: str = ""
    species: str = ""
    common: str = ""

    @property
    def key(self) -> str:
        """``;class;order;family;genus;species;common;`` (lower case): what the gate matches."""
        parts = (self.class_, self.order, self.family, self.genus, self.species, self.common)
        return ";" + ";".join(p.strip().lower() for p in parts) + ";"

    @property
    def scientific(self) -> str | None:
        """``Genus species``, else the most precise rank known (``Odocoileus``, ``Cervidae``)."""
        if self.genus and self.species:
            return f"{self.genus.capitalize()} {self.species.lower()}"
        for part in (self.genus, self.family, self.order, self.class_):
            if part:
                return part.capitalize()
        return None

    @property
    def known(self) -> bool:
        """Whether it names something at all (``animal`` and ``blank`` do not)."""
        return bool(self.class_ or self.family or self.genus or self.common)


def _from_path(path: str, common: str = "") -> Taxon:
    cls, order, family, genus, species = (path.split(";") + [""] * 5)[:5]
    return Taxon(cls, order, family, genus, species, common)


def from_key(key: str | None) -> Taxon | None:
    """The Taxon of a stored taxonomy key (None for None)."""
    if not key:
        return None
    return Taxon(*(key.strip(";").split(";") + [""] * 6)[:6])


#: SpeciesNet's labels that name no species.
_NOT_A_SPECIES = {"blank", "animal", "vehicle", "no cv result", "unknown"}


def from_speciesnet(label: str) -> Taxon | None:
    """A SpeciesNet label ``uuid;class;order;family;genus;species;common name``; None for blank,
    "animal", vehicle and other labels that name no species."""
    parts = label.split(";")
    if len(parts) != 7:
        return None
    _, cls, order, family, genus, species, common = (p.strip() for p in parts)
    taxon = Taxon(cls, order, family, genus, species, common)
    if not (cls or family or genus) and common.lower() in _NOT_A_SPECIES:
        return None
    return taxon if taxon.known else None


def from_name(name: str) -> Taxon:
    """A Taxon for a free-text label: a known common name, a binomial, a genus/family name, or
    just the common name as written."""
    text = " ".join(name.strip().split())
    low = text.lower()
    if low.count(";") == 6:
        return from_speciesnet(text) or Taxon()
    if low in _NOT_A_SPECIES or not low:
        return Taxon()  # "animal", "blank": no species
    if low in KNOWN:
        return _from_path(KNOWN[low], low)
    m = _BINOMIAL.match(text)
    if m and text[0].isupper():
        genus, species = m.group(1).lower(), m.group(2)
        family = next((p.split(";")[2] for p in KNOWN.values() if p.split(";")[3] == genus), "")
        return Taxon(family=family, genus=genus, species=species)
    for suffix, level in _RANK_SUFFIX:
        if low.endswith(suffix) and " " not in low:
            return Taxon(order=low) if level == 1 else Taxon(family=low)
    return Taxon(common=low)


# --- the targets and the gate ------------------------------------------------------------------


def target_needles(text: str | None = None) -> list[str]:
    """The ``LIKE`` fragments a taxonomy key must contain to be a target (any one of them)."""
    text = settings.target_species() if text is None else text
    needles: list[str] = []
    for raw in text.split(","):
        name = " ".join(raw.strip().split())
        if not name:
            continue
        low = name.lower()
        taxon = from_name(name)
        if taxon.genus and taxon.species:
            needles.append(f";{taxon.genus};{taxon.species};")
        elif taxon.family:
            needles.append(f";{taxon.family};")
        elif taxon.order:
            needles.append(f";{taxon.order};")
        else:
            needles.append(f";{low};")  # a genus (Odocoileus) or a common name
        needles.append(f";{low};")  # the name as a common name too
    return list(dict.fromkeys(needles))


def is_target(taxonomy: str | None, needles: Sequence[str] | None = None) -> bool:
    """The gate in Python: unknown (None) passes, a known taxonomy must contain a needle."""
    if not taxonomy:
        return True
    needles = target_needles() if needles is None else needles
    return any(n in taxonomy for n in needles)


def target_clause(needles: Sequence[str] | None = None):
    """SQL: the detection may be the target species (unknown species pass)."""
    needles = target_needles() if needles is None else needles
    matches = [Detection.species_taxonomy.contains(n, autoescape=True) for n in needles]
    return or_(Detection.species_taxonomy.is_(None), *(matches or [false()]))


def reid_clause(needles: Sequence[str] | None = None):
    """SQL: the detection may enter re-identification — a target (or unknown) species, and not
    a box a person confirmed as a static object (:mod:`deertrack_core.detect.repeats`). For the
    matcher, the review queue and the Individuals page."""
    static = select(RepeatGroup.id).where(RepeatGroup.status == "confirmed")
    return target_clause(needles) & or_(
        Detection.repeat_group_id.is_(None), Detection.repeat_group_id.not_in(static)
    )


def target_name(text: str | None = None) -> str:
    """The scientific name of the first target (what an identified animal is when nothing else
    says so): ``Odocoileus virginianus`` by default."""
    text = settings.target_species() if text is None else text
    first = next((t.strip() for t in text.split(",") if t.strip()), "white-tailed deer")
    return from_name(first).scientific or first


def scientific_name(label: str | None, taxonomy: str | None) -> str | None:
    """What Camtrap DP's ``scientificName`` says for a detection's recorded species."""
    taxon = from_key(taxonomy)
    if taxon is not None and taxon.scientific:
        return taxon.scientific
    if label:
        return from_name(label).scientific or label
    return None


# --- labels and resolution ---------------------------------------------------------------------


def add_labels(session: Session, rows: Iterable[dict]) -> list[int]:
    """Store species labels (``detection_id``, ``source``, ``label``, ``taxonomy``, ``score``),
    replacing a detection's earlier label from the same source; resolve those detections; return
    their ids. The caller commits."""
    rows = [dict(r) for r in rows if r.get("label")]
    for r in rows:
        if not r.get("taxonomy"):
            taxon = from_name(str(r["label"]))
            r["taxonomy"] = taxon.key if taxon.known else None
    rows = [r for r in rows if r["taxonomy"]]  # "animal" or "blank" says nothing of the species
    if not rows:
        return []
    for r in rows:
        if r["source"] not in RANK or r["source"] == "reviewer":
            raise ValueError(f"species source {r['source']!r} is not a machine or tag source")
    ids = sorted({int(r["detection_id"]) for r in rows})
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        for source in {r["source"] for r in rows}:
            session.execute(
                delete(SpeciesLabel).where(
                    SpeciesLabel.detection_id.in_(part), SpeciesLabel.source == source
                )
            )
    session.add_all(
        SpeciesLabel(
            detection_id=r["detection_id"],
            source=r["source"],
            label=str(r["label"])[:200],
            taxonomy=r["taxonomy"][:400],
            score=r.get("score"),
        )  # fmt: skip
        for r in rows
    )
    session.flush()
    resolve(session, ids)
    return ids


def resolve(session: Session, detection_ids: Iterable[int]) -> int:
    """Copy each detection's best label onto it (a reviewer's choice is never replaced); return
    how many detections changed."""
    ids = sorted({int(i) for i in detection_ids})
    changed = 0
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        labels: dict[int, list[SpeciesLabel]] = {}
        for label in session.scalars(
            select(SpeciesLabel).where(SpeciesLabel.detection_id.in_(part))
        ):
            labels.setdefault(label.detection_id, []).append(label)
        for det in session.scalars(select(Detection).where(Detection.id.in_(part))):
            if det.species_source == "reviewer" or det.id not in labels:
                continue
            best = min(labels[det.id], key=lambda lab: (RANK[lab.source], -(lab.score or 0.0)))
            new = (best.label, best.source, best.score, best.taxonomy)
            if (det.species, det.species_source, det.species_score, det.species_taxonomy) != new:
                det.species, det.species_source, det.species_score, det.species_taxonomy = new
                changed += 1
    session.flush()
    return changed


def apply_photo_tags(session: Session, detection_ids: Iterable[int]) -> int:
    """Label the animal boxes among ``detection_ids`` with their photo's species tag (species
    folder or XMP ``Species|...``); return how many were labelled."""
    ids = sorted({int(i) for i in detection_ids})
    rows = []
    for i in range(0, len(ids), 500):
        rows += session.execute(
            select(Detection.id, Image.species_tag)
            .join(Image, Image.id == Detection.image_id)
            .where(
                Detection.id.in_(ids[i : i + 500]),
                Detection.category == "animal",
                Image.species_tag.is_not(None),
            )
        ).all()
    add_labels(session, ({"detection_id": d, "source": "tag", "label": tag} for d, tag in rows))
    return len(rows)


def gate_counts(session: Session, needles: Sequence[str] | None = None) -> dict[str, int]:
    """Animal detections that may enter re-identification, that may not, and of unknown species."""
    from sqlalchemy import func

    base = select(func.count(Detection.id)).where(Detection.category == "animal")
    unknown = session.scalar(base.where(Detection.species_taxonomy.is_(None))) or 0
    inside = (
        session.scalar(base.where(target_clause(needles), Detection.species_taxonomy.is_not(None)))
        or 0
    )
    total = session.scalar(base) or 0
    return {"target": int(inside), "other": int(total - inside - unknown), "unknown": int(unknown)}


def withdraw_non_target(session: Session, needles: Sequence[str] | None = None) -> int:
    """Withdraw the machine's identities of detections now known to be another species (see
    :func:`withdraw_where`)."""
    return withdraw_where(session, ~target_clause(needles))


def withdraw_where(session: Session, clause) -> int:
    """Withdraw the machine's identities (auto, new, proposed; nobody reviewed them) of the
    detections ``clause`` selects; delete the individuals the machine made for them alone.
    Return how many detections lost their identity. The caller commits."""
    machine = (MatchStatus.AUTO.value, MatchStatus.NEW.value, MatchStatus.PROPOSED.value)
    dets = list(
        session.scalars(
            select(Detection).where(
                Detection.match_status.in_(machine), Detection.reviewed_by.is_(None), clause
            )
        )
    )
    touched = {d.deer_id for d in dets if d.deer_id is not None}
    for d in dets:
        d.deer_id, d.match_score, d.candidates = None, None, None
        d.match_status = MatchStatus.PENDING.value
    session.flush()
    for deer_id in sorted(touched):
        left = session.scalar(select(func.count(Detection.id)).where(Detection.deer_id == deer_id))
        people = session.scalar(
            select(func.count(Correction.id)).where(
                Correction.entity == "deer", Correction.entity_id == deer_id
            )
        )
        deer = session.get(Deer, deer_id)
        if deer is None:
            continue
        if not left and not people:
            session.delete(deer)  # made by the machine for a raccoon: nothing else refers to it
            touched.discard(deer_id)
    refresh_span(session, touched)
    session.flush()
    return len(dets)


def species_counts(session: Session) -> list[dict]:
    """Animal detections per recorded species and source (unknown species as ``None``), most
    first, each marked whether it may enter re-identification (the gate)."""
    from sqlalchemy import func

    rows = session.execute(
        select(
            Detection.species,
            Detection.species_source,
            Detection.species_taxonomy,
            func.count(Detection.id).label("n"),
        )
        .where(Detection.category == "animal")
        .group_by(Detection.species, Detection.species_source, Detection.species_taxonomy)
    ).all()
    needles = target_needles()
    out: dict[tuple, dict] = {}
    for species, source, taxonomy, n in rows:
        key = (species, source)
        row = out.setdefault(
            key,
            {
                "species": species,
                "source": source,
                "detections": 0,
                "target": is_target(taxonomy, needles),
            },
        )
        row["detections"] += int(n)
    return sorted(out.values(), key=lambda r: (-r["detections"], str(r["species"])))
