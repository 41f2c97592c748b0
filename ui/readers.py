"""Cached readers: every query result a screen shows, read through ``st.cache_data`` or, for
large arrays kept as objects, ``st.cache_resource``; and :func:`clear_caches` after a change.

Pages call these instead of caching their own reads. Each reader takes the database URL first,
so two archives never share a cache entry.
"""

from __future__ import annotations

import streamlit as st

from deertrack_core import audit, deer, individuals, stats
from ui import evidence, overview_view, resources


@st.cache_data(ttl=30, show_spinner=False)
def overview(url: str):
    """The archive's counts and its detections per day (Overview)."""
    with resources.session() as s:
        return stats.overview_counts(s), stats.detections_over_time(s)


@st.cache_data(ttl=30, show_spinner=False)
def detections_over_time(url: str, deployment_ids: tuple[int, ...]):
    """Animal detections per day of some deployments (Overview, filtered to a station)."""
    with resources.session() as s:
        return stats.detections_over_time(s, deployment_ids=deployment_ids)


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


@st.cache_data(ttl=60, show_spinner=False)
def score_runs(url: str) -> dict[str, list[str]]:
    """The runs that logged scores, by model, newest last (Exports: the scores filters)."""
    from sqlalchemy import func, select

    from deertrack_core.models import ReidSimilarityScore as S

    stmt = select(S.model, S.run_id).group_by(S.model, S.run_id).order_by(
        S.model, func.min(S.calculated_at))  # fmt: skip
    out: dict[str, list[str]] = {}
    with resources.session() as s:
        for model, run in s.execute(stmt):
            out.setdefault(model, []).append(run)
    return out


def score_summary(url: str, flt: stats.ScoreFilter, run_id: str | None = None, bins: int = 20):
    """The scores summary (by bucket, matched rate, per model and run, same vs different):
    a pass over every logged score (seconds at a million), so it runs in a background thread
    (no Streamlit calls) and is kept a minute, like the histograms."""
    from deertrack_core import db
    from deertrack_core.reports.scores import ScoreQuery
    from deertrack_core.reports.scores import score_summary as summarise

    q = ScoreQuery(flt.model, run_id, flt.start, flt.end, tuple(flt.deployment_ids))
    with db.session_scope(url) as s:
        return summarise(s, q, bins=bins)


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


def drift_version(url: str) -> tuple:
    """A fingerprint of the reviewed evidence: the drift check is refitted when it changes."""
    with resources.session() as s:
        return stats.evidence_version(s)


def compute_drift(url: str, model: str):
    """The drift check of ``model``'s recorded threshold on today's evidence, or why there is
    none (Threshold; runs in a background thread: no Streamlit calls)."""
    from deertrack_core import db
    from deertrack_core.errors import DeertrackError
    from deertrack_core.reid.drift import drift_report as report

    try:
        with db.session_scope(url) as s:
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


def sex_age_version(url: str, model: str) -> tuple:
    """A fingerprint of what the sex/age classifier learns from (labels, ``model``'s
    embeddings): equal fingerprints give the same classifier (Review)."""
    from deertrack_core.reid.sexage import labels_version

    with resources.session() as s:
        return labels_version(s, model)


def fit_sex_age(url: str, model: str):
    """The sex/age classifier on today's reviewed labels, or a sentence saying why there is
    none (runs in a background thread: no Streamlit calls)."""
    from deertrack_core import db
    from deertrack_core.errors import DeertrackError
    from deertrack_core.reid.sexage import fit_from_reviews

    try:
        with db.session_scope(url) as s:
            return fit_from_reviews(s, model)
    except DeertrackError as exc:
        return f"{exc.problem} {exc.fix}"


@st.cache_resource(ttl=30, show_spinner=False, max_entries=4)
def _rows(url: str, confirmed_only: bool):
    """Every timed animal box with its identity's provenance, and the deployments (shared,
    read-only: the readers below derive from them)."""
    from deertrack_core.analysis.load import load_deployments, load_detections

    with resources.session() as s:
        df = load_detections(s, columns=(), confirmed_only=confirmed_only)
        return df, load_deployments(s)


def _scoped(url: str, confirmed_only: bool, deployment_ids: tuple[int, ...]):
    df, deps = _rows(url, confirmed_only)
    if deployment_ids:
        df = df[df["deployment_id"].isin(deployment_ids)]
    return df, deps


@st.cache_data(ttl=30, show_spinner=False)
def identities(url: str, confirmed_only: bool, deployment_ids: tuple[int, ...] = ()):
    """Boxes by provenance, deer counted, and the weekly series with reviewed coverage."""
    from deertrack_core.analysis import provenance

    df, _ = _scoped(url, confirmed_only, deployment_ids)
    return provenance.counts(df), overview_view.identity_counts(df), overview_view.weekly(df)


@st.cache_data(ttl=30, show_spinner=False)
def stations(url: str, confirmed_only: bool, deer_id: int | None = None):
    """Per station: coordinates, effort, detections per 100 trap nights (one deer's, or all)."""
    df, deps = _rows(url, confirmed_only)
    if deer_id is not None:
        return overview_view.deer_stations(df, deps, deer_id)
    return overview_view.stations(df, deps)


@st.cache_data(ttl=30, show_spinner=False)
def deer_tallies(url: str) -> dict[int, dict[str, int]]:
    """Each deer's timed boxes by provenance: {deer id: {"confirmed": n, "automatic": m}}."""
    df, _ = _rows(url, False)
    ids = df[df["deer_id"].notna()]
    table = ids.groupby(["deer_id", "provenance"]).size().unstack(fill_value=0)
    return {int(i): {k: int(v) for k, v in row.items()} for i, row in table.iterrows()}


def archive_state(url: str) -> tuple:
    """A fingerprint of everything a population estimate reads (one cheap query): the reviewed
    evidence, embeddings and settings, and the detections by match status."""
    from sqlalchemy import func, select

    from deertrack_core.models import Detection

    with resources.session() as s:
        by_status = s.execute(
            select(Detection.match_status, func.count(), func.max(Detection.id))
            .group_by(Detection.match_status)
            .order_by(Detection.match_status)
        ).all()
        return stats.evidence_version(s) + tuple(tuple(r) for r in by_status)


@st.cache_data(ttl=30, max_entries=32, show_spinner=False)
def population(url: str, occasion: str, confirmed_only: bool, state: tuple):
    """Every closed-population model on the archive, sampling-only intervals (fast: from the
    rows the other pages share, so a visit after the Overview does not read the archive
    again); ``state`` (:func:`archive_state`) keys the cache, so a change to the archive
    computes again, and it lives as long as those rows."""
    from deertrack_core import db
    from deertrack_core.analysis.population import population_from_session

    df, _ = _rows(url, confirmed_only)
    with db.session_scope(url) as s:
        return population_from_session(
            s, occasion=occasion, confirmed_only=confirmed_only, id_error=False, detections=df
        )


def population_report(url: str, occasion: str, confirmed_only: bool, *, id_error: bool = True):
    """The population report, with the intervals that carry identification error when
    ``id_error`` (seconds of redrawing and refitting: runs in a background thread)."""
    from deertrack_core import db
    from deertrack_core.analysis.population import population_from_session

    with db.session_scope(url) as s:
        return population_from_session(
            s, occasion=occasion, confirmed_only=confirmed_only, id_error=id_error
        )


def clear_caches() -> None:
    """Drop cached query results after a change, so every screen shows it at once; the
    threshold evidence is prepared again in the background a moment later."""
    st.cache_data.clear()
    _rows.clear()
    evidence.forget()
    evidence.warm(resources.database_url())
