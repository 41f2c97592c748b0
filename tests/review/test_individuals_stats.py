"""Individuals (gallery, merge, move out) and SQL-aggregated statistics."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deertrack_core import audit, individuals, stats
from deertrack_core.errors import ValidationError
from deertrack_core.models import Correction, Deer, Detection

USER = "ana"


def test_gallery_lists_every_deer_with_an_exemplar(session, archive):
    cards = individuals.gallery(session)
    assert {c.deer_id for c in cards} == set(archive.deer)
    assert all(c.exemplar is not None for c in cards)


def test_merge_moves_detections_and_points_at_the_kept_deer(session, archive):
    keep, drop = archive.deer[0], archive.deer[1]
    individuals.merge(session, keep, drop, user=USER)
    session.commit()
    assert session.get(Deer, drop).merged_into == keep
    assert not session.scalars(select(Detection).where(Detection.deer_id == drop)).all()


def test_merge_is_audited_and_undoable(session, archive):
    keep, drop = archive.deer[0], archive.deer[1]
    individuals.merge(session, keep, drop, user=USER)
    session.commit()
    audit.undo_last(session, user=USER)
    session.commit()
    assert session.get(Deer, drop).merged_into is None
    assert session.scalars(select(Correction.undone)).all()[0] is True


def test_merge_refuses_the_same_deer_twice(session, archive):
    with pytest.raises(ValidationError, match="two different deer"):
        individuals.merge(session, archive.deer[0], archive.deer[0], user=USER)


def test_move_out_to_a_new_individual(session, archive):
    det = archive.reviewed[0]
    new = individuals.move_out(session, det, user=USER, to="new")
    session.commit()
    assert session.get(Detection, det).deer_id == new != archive.deer[0]


def test_move_out_back_to_the_queue(session, archive):
    det = archive.reviewed[0]
    individuals.move_out(session, det, user=USER, to=None)
    session.commit()
    assert session.get(Detection, det).match_status == "proposed"


def test_rename_requires_a_name(session, archive):
    with pytest.raises(ValidationError, match="name"):
        individuals.rename(session, archive.deer[0], "  ", user=USER)


def test_station_table_counts_sightings(session, archive):
    rows = individuals.stations(session, archive.deer[0])
    assert sum(r.sightings for r in rows) == len(individuals.sightings(session, archive.deer[0]))


def test_overview_counts(session, archive):
    counts = stats.overview_counts(session)
    assert (counts.individuals, counts.deployments, counts.detections) == (3, 2, 11)
    assert counts.awaiting_review == 8


def test_detections_over_time_sums_to_all_animal_detections(session, archive):
    rows = stats.detections_over_time(session)
    assert sum(r["detections"] for r in rows) == 11


def test_histogram_matched_counts_every_score(session, archive):
    rows = stats.histogram_matched(session, stats.ScoreFilter(), bins=20)
    assert sum(r["count"] for r in rows) == 8 * 3 + 3 * 3


def test_histogram_puts_a_score_in_the_floor_bucket(session, archive):
    rows = stats.histogram_matched(session, stats.ScoreFilter(), bins=20)
    top = [r for r in rows if r["lo"] == pytest.approx(0.95)]
    assert sum(r["count"] for r in top) == 2  # 0.95 (+ 0.99) for the 0.95 and 0.99 tracks


def test_histogram_truth_splits_same_and_different(session, archive):
    rows = stats.histogram_truth(session, stats.ScoreFilter(), bins=20)
    by = {}
    for r in rows:
        by[r["group"]] = by.get(r["group"], 0) + r["count"]
    assert by == {"same deer": 3, "different deer": 6}


def test_histogram_filters_by_camera(session, archive):
    flt = stats.ScoreFilter(deployment_ids=(archive.deployments[1],))
    rows = stats.histogram_matched(session, flt, bins=20)
    assert (
        sum(r["count"] for r in rows) == (2 + 1 + 1) * 3 + 1 * 3
    )  # tracks 201(x2),203,205 + one reviewed


def test_best_scores_split_at_threshold(session, archive):
    best = stats.best_scores(session, "test-model")
    auto, rest = best.at(0.85)
    assert (auto, rest) == (3 + 2 + 1 + 1, 2 + 1 + 1)
