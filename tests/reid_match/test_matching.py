import numpy as np
import pytest
from sqlalchemy import func, select

from deertrack_core.errors import ConfigurationError
from deertrack_core.models import Deer, Detection, Image, ReidSimilarityScore
from deertrack_core.reid.matching import match_pending

from .builders import MODEL, Archive, HistogramEmbedder, near, unit

DIM = 32


@pytest.fixture
def env(monkeypatch, engine):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.8")
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "propose")
    return engine


@pytest.fixture
def herd(env, session):
    """Three known deer, four confirmed sightings each; returns (archive, deer, centres, rng)."""
    rng = np.random.default_rng(11)
    centres = unit(rng, 3, DIM)
    arc = Archive(session)
    deer = [arc.deer(f"D{i}") for i in range(3)]
    for d, c in zip(deer, centres, strict=True):
        for v in near(rng, c, 4, 0.05):
            arc.detection(v, deer=d)
    session.commit()
    return arc, deer, centres, rng


def _scores(session, det_id):
    return session.scalars(
        select(ReidSimilarityScore).where(ReidSimilarityScore.detection_id == det_id)
    ).all()


def test_close_detection_is_matched_automatically(herd, session):
    arc, deer, centres, rng = herd
    det = arc.detection(near(rng, centres[1], 1, 0.05)[0])
    session.commit()
    summary = match_pending()
    session.expire_all()
    got = session.get(Detection, det.id)
    assert (got.deer_id, got.match_status) == (deer[1].id, "auto")
    assert got.match_score >= 0.8
    assert got.candidates[0]["deer_id"] == deer[1].id
    assert (summary.auto, summary.tracks, summary.gallery_deer) == (1, 1, 3)


def test_every_score_is_logged_with_the_decision(herd, session):
    arc, deer, centres, rng = herd
    det = arc.detection(near(rng, centres[2], 1, 0.05)[0])
    session.commit()
    summary = match_pending()
    rows = _scores(session, det.id)
    assert sorted(r.deer_id for r in rows) == sorted(d.id for d in deer)
    assert [r.deer_id for r in rows if r.matched] == [deer[2].id]
    assert {(r.run_id, r.model, r.threshold_used) for r in rows} == {(summary.run_id, MODEL, 0.8)}
    assert summary.scores_logged == 3


def test_unfamiliar_detection_is_proposed_with_candidates(herd, session):
    arc, deer, centres, rng = herd
    det = arc.detection(unit(rng, 1, DIM)[0])
    session.commit()
    summary = match_pending()
    session.expire_all()
    got = session.get(Detection, det.id)
    assert (got.deer_id, got.match_status, summary.proposed) == (None, "proposed", 1)
    assert len(got.candidates) == 3
    scores = [c["score"] for c in got.candidates]
    assert scores == sorted(scores, reverse=True)
    assert not any(r.matched for r in _scores(session, det.id))


def test_create_mode_makes_a_new_deer_that_later_photos_match(herd, session, monkeypatch):
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "create")
    arc, deer, centres, rng = herd
    stranger = unit(rng, 1, DIM)[0]
    first, second = (arc.detection(v) for v in near(rng, stranger, 2, 0.05))
    session.commit()
    summary = match_pending()
    session.expire_all()
    a, b = session.get(Detection, first.id), session.get(Detection, second.id)
    assert (a.match_status, b.match_status) == ("new", "auto")
    assert a.deer_id == b.deer_id and a.deer_id not in {d.id for d in deer}
    new = session.get(Deer, a.deer_id)
    assert (new.first_seen, new.last_seen) == (a.image.captured_at, b.image.captured_at)
    assert (summary.new, summary.auto) == (1, 1)


@pytest.mark.parametrize("chunk_size", [1, 2])
def test_chunking_does_not_change_decisions(herd, session, monkeypatch, chunk_size):
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "create")
    arc, deer, centres, rng = herd
    strangers = unit(rng, 2, DIM)
    for s in strangers:
        for v in near(rng, s, 2, 0.05):
            arc.detection(v)
    session.commit()
    summary = match_pending(chunk_size=chunk_size)
    assert (summary.new, summary.auto) == (2, 2)


def test_one_decision_per_track_applies_to_all_members(herd, session):
    arc, deer, centres, rng = herd
    members = [arc.detection(v, track_id=900_077) for v in near(rng, centres[0], 3, 0.1)]
    session.commit()
    summary = match_pending()
    session.expire_all()
    got = [session.get(Detection, m.id) for m in members]
    assert {g.deer_id for g in got} == {deer[0].id}
    assert len({g.match_score for g in got}) == 1
    assert (summary.tracks, summary.detections) == (1, 3)
    assert session.scalar(select(func.count()).select_from(ReidSimilarityScore)) == 9


def test_track_embedding_is_mean_of_members(herd, session):
    arc, deer, centres, rng = herd
    # Each member alone is ambiguous between deer 0 and 1; their mean points at deer 0.
    a = centres[0] + 0.9 * centres[1]
    b = centres[0] - 0.9 * centres[1]
    for v in (a, b):
        arc.detection(v / np.linalg.norm(v), track_id=900_005)
    session.commit()
    match_pending(threshold=0.9)
    assert set(session.scalars(select(Detection.deer_id).where(Detection.track_id == 900_005))) == {
        deer[0].id
    }


def test_untimed_photos_are_decided_last(env, session, monkeypatch):
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "create")
    rng = np.random.default_rng(2)
    arc = Archive(session)
    v = near(rng, unit(rng, 1, DIM)[0], 2, 0.02)
    untimed = arc.detection(v[0], untimed=True)
    timed = arc.detection(v[1], minutes=30)
    session.commit()
    match_pending()
    session.expire_all()
    assert session.get(Detection, timed.id).match_status == "new"
    assert session.get(Detection, untimed.id).match_status == "auto"


def test_without_known_deer_everything_is_proposed(env, session):
    rng = np.random.default_rng(3)
    arc = Archive(session)
    dets = [arc.detection(v) for v in unit(rng, 3, DIM)]
    session.commit()
    summary = match_pending()
    session.expire_all()
    assert summary.proposed == 3 and summary.scores_logged == 0
    assert all(session.get(Detection, d.id).candidates == [] for d in dets)


def test_rejected_and_non_animal_detections_are_left_alone(herd, session):
    arc, deer, centres, rng = herd
    arc.detection(centres[0], status="rejected")
    arc.detection(centres[0], category="person")
    session.commit()
    assert match_pending().detections == 0


def test_detection_whose_photo_is_missing_is_skipped(herd, session):
    arc, deer, centres, rng = herd
    arc.detection(centres[0])
    arc.detection(None)  # no cached embedding and no photo on disk
    session.commit()
    summary = match_pending(embedder=HistogramEmbedder(dim=DIM))
    assert (summary.skipped, summary.auto) == (1, 1)


def test_unknown_new_individuals_mode_is_refused(env, monkeypatch):
    monkeypatch.setenv("DEERTRACK_NEW_INDIVIDUALS", "guess")
    with pytest.raises(ConfigurationError, match="DEERTRACK_NEW_INDIVIDUALS"):
        match_pending()


def test_max_prototype_matches_nearest_exemplar(herd, session):
    arc, deer, centres, rng = herd
    det = arc.detection(near(rng, centres[2], 1, 0.05)[0])
    session.commit()
    match_pending(prototype="max")
    session.expire_all()
    assert session.get(Detection, det.id).deer_id == deer[2].id


def test_burst_frames_are_linked_into_one_track_before_matching(herd, session):
    """match_pending links a burst's boxes into a track itself: one decision for the burst."""
    arc, deer, centres, rng = herd
    members = [arc.detection(v) for v in near(rng, centres[1], 3, 0.1)]
    for m in members:
        session.get(Image, m.image_id).sequence_id = 4242
    session.commit()
    summary = match_pending()
    session.expire_all()
    got = [session.get(Detection, m.id) for m in members]
    assert (summary.tracks, summary.detections) == (1, 3)
    assert len({g.track_id for g in got}) == 1
    assert {g.deer_id for g in got} == {deer[1].id}
