"""Cached readers: every query result a screen shows, read through ``st.cache_data`` or, for
large arrays kept as objects, ``st.cache_resource``; and :func:`clear_caches` after a change.

Pages call these instead of caching their own reads. Each reader takes the database URL first,
so two archives never share a cache entry.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core import audit, deer, individuals, stats
from ui import evidence, resources


@st.cache_data(ttl=30, show_spinner=False)
def overview(url: str):
    """The archive's counts and its detections per day (Overview)."""
    with resources.session() as s:
        return stats.overview_counts(s), stats.detections_over_time(s)


@st.cache_data(ttl=30, show_spinner=False)
def deer_gallery(url: str, search: str):
    """The gallery cards matching ``search``, and how many deer there are (Individuals)."""
    with resources.session() as s:
        return individuals.gallery(s, search=search), individuals.deer_count(s)


@st.cache_data(ttl=60, show_spinner=False)
def score_options(url: str):
    """The models with logged scores, and the cameras (Similarity filters)."""
    with resources.session() as s:
        return stats.score_models(s), dict(stats.deployments(s))


@st.cache_data(ttl=60, show_spinner="Counting scores…")
def histograms(url: str, flt: stats.ScoreFilter, bins: int):
    """Score histograms: matched vs not, and same vs different deer (Similarity)."""
    with resources.session() as s:
        return stats.histogram_matched(s, flt, bins=bins), stats.histogram_truth(s, flt, bins=bins)


def threshold_inputs(url: str, model: str) -> evidence.ThresholdInputs:
    """The threshold screen's curves and outlook for the current evidence (see ui/evidence.py:
    usually prepared in the background already). Raises ``InsufficientEvidenceError``."""
    with resources.session() as s:
        version = stats.evidence_version(s)
    if evidence.ready(url, model, version):
        return evidence.threshold_inputs(url, model, version)
    with st.spinner("Gathering the reviewed evidence…"):
        return evidence.threshold_inputs(url, model, version)


@st.cache_data(ttl=30, show_spinner=False)
def audit_filters(url: str) -> tuple[list[str], list[str]]:
    """Who has changed anything, and the kinds of action (Audit trail filters)."""
    with resources.session() as s:
        return audit.trail_filters(s)


@st.cache_data(ttl=30, show_spinner=False)
def audit_trail(url: str, user: str | None, action: str | None, limit: int):
    """The latest actions, and the names of the deer they mention (Audit trail)."""
    with resources.session() as s:
        records = audit.history(s, limit=limit, user=user, action=action)
        return records, deer.names(s, audit.deer_named(records))


@st.cache_data(ttl=30, show_spinner=False)
def field_state(url: str):
    """What the Import page's checks show: photos without boxes, suspected static boxes (with
    one example photo each), implausible times, and the species per source."""
    from deertrack_core.detect.repeats import examples, list_repeats
    from deertrack_core.detect.run import photos_without_boxes
    from deertrack_core.ingest.plausible import flagged_count, flagged_photos
    from deertrack_core.species import gate_counts, species_counts

    with resources.session() as s:
        groups = list_repeats(s, "suspected")
        return {
            "bare": photos_without_boxes(s),
            "repeats": groups,
            "examples": examples(s, [g.id for g in groups]),
            "flagged": flagged_photos(s),
            "problems": flagged_count(s),
            "species": species_counts(s),
            "gate": gate_counts(s),
        }


@st.cache_data(ttl=30, show_spinner=False)
def model_versions(url: str):
    """Every stored model version, newest first, the active one marked (Models)."""
    from deertrack_core.reid.versions import list_versions

    with resources.session() as s:
        return list_versions(s)


@st.cache_data(ttl=30, show_spinner=False)
def threshold_history(url: str):
    """Every recorded threshold, newest first, with its evidence (Threshold)."""
    from deertrack_core.reid.drift import threshold_history as history

    with resources.session() as s:
        return history(s)


def drift_report(url: str, model: str):
    """The drift check of ``model``'s recorded threshold on today's evidence, refitted when the
    evidence changes; or why there is none (Threshold)."""
    with resources.session() as s:
        version = stats.evidence_version(s)
    return _drift(url, model, version)


@st.cache_data(max_entries=8, show_spinner="Checking the recorded threshold…")
def _drift(url: str, model: str, version: tuple):
    from deertrack_core.errors import DeertrackError
    from deertrack_core.reid.drift import drift_report as report

    try:
        with resources.session() as s:
            return report(s, model)
    except DeertrackError as exc:
        return f"{exc.problem} {exc.fix}"


@st.cache_data(ttl=30, show_spinner=False)
def detector_todo(url: str, spec: str) -> tuple[int, int] | None:
    """``(photos the detector ``spec`` has not looked at, photos it has)``; None when its
    model file is missing (Import)."""
    from pathlib import Path

    from deertrack_core.detect.run import unseen

    kind, _, path = spec.partition(":")
    model = Path(path).expanduser()
    if not model.is_file():
        return None
    stat = model.stat()
    with resources.session() as s:
        todo, seen = unseen(s, _model_id(kind, str(model), stat.st_mtime, stat.st_size))
    return len(todo), seen


@st.cache_resource(max_entries=8, show_spinner="Reading the detector's model file…")
def _model_id(kind: str, path: str, mtime: float, size: int) -> str:
    from pathlib import Path

    from deertrack_core.detect.base import model_id

    return model_id(kind, Path(path))  # a hash of the whole file: once per file version


def sex_age_classifier(url: str, model: str):
    """The sex/age classifier fitted on today's reviewed labels (refitted when the labels or
    the model's embeddings change), or a sentence saying why there is none (Review)."""
    from deertrack_core.reid.sexage import labels_version

    with resources.session() as s:
        version = labels_version(s, model)
    return _sex_age(url, model, version)


@st.cache_resource(max_entries=4, show_spinner="Learning sex/age from the reviews…")
def _sex_age(url: str, model: str, version: tuple):
    """The classifier on today's reviewed labels, or why there is none."""
    from deertrack_core.errors import DeertrackError
    from deertrack_core.reid.sexage import fit_from_reviews

    try:
        with resources.session() as s:
            return fit_from_reviews(s, model)
    except DeertrackError as exc:
        return f"{exc.problem} {exc.fix}"


def clear_caches() -> None:
    """Drop cached query results after a change, so every screen shows it at once; the
    threshold evidence is prepared again in the background a moment later."""
    st.cache_data.clear()
    evidence.forget()
    evidence.warm(resources.database_url())
