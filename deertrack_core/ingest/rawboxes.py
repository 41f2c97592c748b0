"""What a detector file says, before it is checked against the archive: boxes and entries in the
shape every dialect (MegaDetector 1.x, the v6 list, SpeciesNet) is parsed into.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawBox:
    category: str  # animal | person | vehicle
    label: str  # the name the file used
    conf: float
    bbox: tuple[float, float, float, float]  # normalised xywh, or pixel xyxy when pixel=True
    pixel: bool
    species: str | None = None  # top classification (1.x ``classifications``), if any
    species_score: float | None = None
    taxonomy: str | None = None  # the SpeciesNet taxonomy string of the species, when given


@dataclass(frozen=True)
class RawEntry:
    index: int
    file: str
    boxes: tuple[RawBox, ...]
    failure: str | None


def category_of(name: str) -> str:
    """animal / person / vehicle for a detector category name (other names count as animal)."""
    low = name.strip().lower()
    if low in ("person", "human", "people") or low.startswith("person"):
        return "person"
    if low.startswith("vehicle"):
        return "vehicle"
    return "animal"
