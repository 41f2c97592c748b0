"""Loaders: one SQL query per table into pandas, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from deertrack_core.analysis import load
from deertrack_core.analysis.events import count_events
from deertrack_core.models import Deer


def test_load_detections_leaves_out_rejected_and_untimed(archive, session):
    df = load.load_detections(session, start=dt.date(2024, 6, 1), end=dt.date(2024, 6, 14))
    assert len(df) == 8
    assert count_events(df, 30) == 6
    assert df["deer_id"].nunique() == 3


def test_load_detections_filters_by_deployment_and_whole_days(archive, session):
    df = load.load_detections(
        session, start=dt.date(2024, 6, 8), end=dt.date(2024, 6, 8), deployments=[archive["B"]]
    )
    assert len(df) == 2


def test_merged_deer_count_as_the_deer_they_joined(archive, session):
    fawn = session.get(Deer, archive["fawn"])
    fawn.merged_into = archive["doe"]
    session.commit()
    df = load.load_detections(session)
    assert df["deer_id"].nunique() == 2
    assert set(df.loc[df["deer_id"] == archive["doe"], "sex_age"]) == {"doe"}


def test_load_deployments_has_photo_span_for_the_fallback(archive, session):
    deps = load.load_deployments(session).set_index("station")
    assert deps.loc["B", "first_photo"] == dt.datetime(2024, 6, 3, 5, 0)
    assert deps.loc["C", "n_images"] == 0


def test_synthetic_notes_are_noticed(archive, session):
    assert load.is_synthetic(load.load_deployments(session), load.load_deer(session))
