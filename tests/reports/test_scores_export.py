"""Score summary and score exports over the small archive with logged scores."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from deertrack_core.models import Detection, ReidSimilarityScore
from deertrack_core.reports.build import build_export
from deertrack_core.reports.scores import ScoreQuery, score_summary
from tests.reports.conftest import sqlite_only

T = dt.datetime(2024, 6, 20, 12, 0)


@pytest.fixture
def scored(archive, session):
    """Each identified detection scored against the three deer by a matching run ("run-a",
    model m1, threshold 0.8: its own deer 0.9 and matched, others 0.3 and 0.5), and a second
    model's run ("run-b", m2) for the doe's detections only."""
    dets = session.query(Detection).filter(Detection.deer_id.is_not(None)).all()
    deer = [archive["doe"], archive["buck"], archive["fawn"]]
    for d in dets:
        others = iter((0.3, 0.5))
        for k in deer:
            own = k == d.deer_id
            session.add(ReidSimilarityScore(
                detection_id=d.id, deer_id=k, similarity_score=0.9 if own else next(others),
                matched=own, threshold_used=0.8, model="m1", run_id="run-a", calculated_at=T,
            ))  # fmt: skip
        if d.deer_id == archive["doe"]:
            session.add(ReidSimilarityScore(
                detection_id=d.id, deer_id=archive["doe"], similarity_score=0.75, matched=False,
                threshold_used=0.85, model="m2", run_id="run-b", calculated_at=T,
            ))  # fmt: skip
    session.commit()
    return {"detections": len(dets)}


def test_summary_counts_runs_buckets_and_reviewed_pairs(scored, session):
    s = score_summary(session, bins=10)
    n = scored["detections"]  # 7 identified: 5 confirmed, 2 automatic
    assert s.total == 3 * n + 4 and s.matched == n
    runs = {r["run_id"]: r for r in s.runs}
    assert runs["run-a"]["scores"] == 3 * n and runs["run-a"]["matched_rate"] == pytest.approx(
        1 / 3, abs=1e-4
    )
    assert runs["run-b"]["model"] == "m2" and runs["run-b"]["threshold"] == 0.85
    buckets = {round(b["lo"], 1): b for b in s.buckets}
    assert buckets[0.9]["scores"] == n and buckets[0.9]["matched"] == n
    assert buckets[0.7]["scores"] == 4  # the second model's 0.75s
    # Reviewed (confirmed) detections: 5 own-deer scores at 0.9 (+3 doe at 0.75 from m2) are
    # "same"; 10 others "different": the buckets separate them completely.
    assert s.reviewed["same_deer"] == 5 + 3 and s.reviewed["different_deer"] == 10
    assert s.reviewed["roc_auc"] == 1.0


def test_summary_filters_by_model_run_and_dates(scored, session, archive):
    assert score_summary(session, ScoreQuery(model="m2")).total == 4
    assert score_summary(session, ScoreQuery(run_id="run-a")).total == 3 * scored["detections"]
    june_8 = ScoreQuery(start=dt.date(2024, 6, 8), end=dt.date(2024, 6, 8), run_id="run-a")
    assert score_summary(session, june_8).total == 3 * 2  # the fawn's two detections
    assert score_summary(session, ScoreQuery(deployments=(archive["C"],))).total == 0


def test_bins_are_bounded(session):
    with pytest.raises(ValueError, match="bins must be between"):
        score_summary(session, bins=10_000)


@sqlite_only
def test_scores_csv_streams_every_filtered_score(scored, make_request, tmp_path, db_url):
    path = build_export(make_request("scores_csv", model="m1"), tmp_path, url=db_url)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 3 * scored["detections"]
    assert {r["model"] for r in rows} == {"m1"}
    same = [r for r in rows if r["same_deer"] == "True"]
    assert len(same) == 5 and {r["similarity_score"] for r in same} == {"0.9"}


def test_scores_parquet_has_typed_columns(scored, make_request, tmp_path, db_url):
    import pyarrow.parquet as pq

    path = build_export(make_request("scores_parquet", run_id="run-b"), tmp_path, url=db_url)
    table = pq.read_table(path)
    assert table.num_rows == 4
    assert str(table.schema.field("calculated_at").type) == "timestamp[us]"
    assert set(table.column("matched").to_pylist()) == {False}
    assert table.column("station").to_pylist().count("A") == 3


@sqlite_only
def test_empty_parquet_still_has_the_schema(archive, make_request, tmp_path, db_url):
    import pyarrow.parquet as pq

    table = pq.read_table(build_export(make_request("scores_parquet"), tmp_path, url=db_url))
    assert table.num_rows == 0 and "similarity_score" in table.schema.names
