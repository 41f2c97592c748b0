"""Cached readers: every query result a screen shows, read through ``st.cache_data`` or, for
large arrays kept as objects, ``st.cache_resource``; and :func:`clear_caches` after a change.

Pages call these instead of caching their own reads. Each reader takes the database URL first,
so two archives never share a cache entry.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from deertrack_core import audit, deer, individuals, stats
from ui import resources

#: The threshold curves are fitted on a uniform sample of at most this many score pairs.
MAX_PAIRS = 200_000


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


@st.cache_resource(ttl=60, show_spinner="Reading the known deer's embeddings…", max_entries=2)
def gallery(url: str, model: str):
    """Every identified detection's embedding, read once for the evidence and the outlook."""
    from deertrack_core.reid.scores import load_labelled

    with resources.session() as s:
        return load_labelled(s, model)


@st.cache_resource(ttl=60, show_spinner="Gathering reviewed evidence…", max_entries=4)
def evidence(url: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    from deertrack_core.reid.calibration import evidence_pairs

    with resources.session() as s:
        return evidence_pairs(s, model, gallery=gallery(url, model))


@st.cache_data(ttl=60, show_spinner="Scoring detections awaiting an identity…")
def pending(url: str, model: str):
    from deertrack_core.reid.calibration import pending_best_scores

    with resources.session() as s:
        return pending_best_scores(s, model, gallery=gallery(url, model))


@st.cache_resource(ttl=60, show_spinner="Fitting ROC and precision–recall curves…", max_entries=4)
def calibrator(url: str, model: str) -> tuple[Any, int, int]:
    """The calibrator fitted on the reviewed evidence, and the full evidence's (same, different)
    pair counts.

    A large archive has millions of pairs; the curves are fitted on a uniform random sample of
    at most ``MAX_PAIRS`` (both kinds sampled at the same rate, so precision stays unbiased).
    Kept as an object: nothing is pickled on a slider move.
    """
    from deertrack_core.reid.calibration import ThresholdCalibrator

    scores, same = evidence(url, model)
    n_same, n_diff = int(same.sum()), int(len(same) - same.sum())
    if len(scores) > MAX_PAIRS:
        idx = np.random.default_rng(0).choice(len(scores), MAX_PAIRS, replace=False)
        scores, same = scores[idx], same[idx]
    return ThresholdCalibrator().fit(scores, same), n_same, n_diff


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


def clear_caches() -> None:
    """Drop cached query results after a change, so every screen shows it at once."""
    st.cache_data.clear()
    gallery.clear()
    evidence.clear()
    calibrator.clear()
