import datetime as dt

import numpy as np
from sqlalchemy import select

from deertrack_core.models import ReidSimilarityScore
from deertrack_core.reid.scores import ScoreRows, write_scores

from .builders import Archive, unit


def test_from_matrix_flattens_row_major_and_drops_nan():
    rows = ScoreRows.from_matrix(
        [10, 11], [1, 2], np.array([[0.5, np.nan], [0.1, 0.2]]), np.array([[1, 0], [0, 1]], bool)
    )
    assert rows.detection_ids.tolist() == [10, 11, 11]
    assert rows.deer_ids.tolist() == [1, 1, 2]
    assert rows.matched.tolist() == [True, False, True]


def test_bulk_written_scores_read_back_through_the_orm(engine, session):
    arc = Archive(session)
    deer = [arc.deer(), arc.deer()]
    det = arc.detection(unit(np.random.default_rng(0), 1, 4)[0])
    session.commit()
    when = dt.datetime(2026, 5, 1, 12, 30, 0)
    model = "open_clip:odd\tname\\with\nescapes"
    rows = ScoreRows.from_matrix(
        [det.id], [d.id for d in deer], np.array([[0.25, -0.5]]), np.array([[True, False]])
    )
    with engine.begin() as conn:
        assert (
            write_scores(conn, rows, threshold=0.8, model=model, run_id="r1", calculated_at=when)
            == 2
        )
    got = session.scalars(select(ReidSimilarityScore).order_by(ReidSimilarityScore.deer_id)).all()
    assert [(g.similarity_score, g.matched) for g in got] == [(0.25, True), (-0.5, False)]
    assert {(g.model, g.run_id, g.threshold_used, g.calculated_at) for g in got} == {
        (model, "r1", 0.8, when)
    }


def test_labelled_gallery_holds_identified_embedded_detections(engine, session):
    from deertrack_core.reid.scores import load_labelled

    assert load_labelled(session, "test-model").matrix.shape == (0, 0)
    rng = np.random.default_rng(3)
    arc = Archive(session)
    deer = arc.deer("A")
    vectors = unit(rng, 4, 8)
    confirmed = arc.detection(vectors[0], deer=deer)
    auto = arc.detection(vectors[1], deer=deer, status="auto")
    arc.detection(vectors[2], deer=deer, status="rejected")  # left out: not a deer
    arc.detection(vectors[3])  # left out: no deer yet
    arc.detection(None, deer=deer)  # left out: no embedding
    session.commit()
    g = load_labelled(session, "test-model")
    assert g.detection_ids.tolist() == [confirmed.id, auto.id]
    assert g.deer_ids.tolist() == [deer.id, deer.id]
    assert g.reviewed.tolist() == [True, False]
    np.testing.assert_array_equal(g.matrix, vectors[:2])
