"""The active re-ID setting: read with its fallback to the settings, recorded with evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from deertrack_core.errors import ValidationError
from deertrack_core.models import ReidSetting
from deertrack_core.reid import active

from .builders import MODEL


@pytest.fixture
def env(monkeypatch, engine):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", MODEL)
    monkeypatch.setenv("DEERTRACK_MATCH_THRESHOLD", "0.8")
    return engine


def test_without_a_record_the_settings_are_active(env, session):
    now = active.current(session)
    assert (now.model, now.threshold, now.recorded) == (MODEL, 0.8, False)
    assert active.active_threshold(session) == (MODEL, 0.8)


def test_the_latest_record_overrides_the_settings(env, session):
    session.add(ReidSetting(model="m1", threshold=0.5, set_by="a", set_at=dt.datetime(2026, 1, 1)))
    session.add(ReidSetting(model="m2", threshold=0.6, set_by="b", set_at=dt.datetime(2026, 2, 1)))
    session.flush()
    now = active.current(session)
    assert (now.model, now.threshold, now.set_by, now.recorded) == ("m2", 0.6, "b", True)
    assert active.active_threshold(session) == ("m2", 0.6)


@pytest.mark.parametrize(
    ("model", "threshold", "expected"),
    [
        (None, None, ("m2", 0.6)),  # the active model at its recorded threshold
        ("m2", None, ("m2", 0.6)),
        ("other", None, ("other", 0.8)),  # a recorded threshold is not for another model
        ("other", 0.7, ("other", 0.7)),  # an explicit threshold wins
        (None, 0.7, ("m2", 0.7)),
    ],
)
def test_a_run_uses_the_recorded_threshold_only_for_its_model(
    env, session, model, threshold, expected
):
    session.add(ReidSetting(model="m2", threshold=0.6, set_by="b"))
    session.flush()
    assert active.for_run(session, model=model, threshold=threshold) == expected


def test_recorded_threshold_becomes_active_with_its_evidence(env, session):
    evidence = {"same_pairs": 12, "different_pairs": 36, "precision": 0.95}
    row = active.record(
        session, 0.871, model=MODEL, goal="precision>=0.95", evidence=evidence, user="ana"
    )
    session.commit()
    now = active.current(session)
    assert (now.model, now.threshold, now.goal, now.set_by) == (
        MODEL, pytest.approx(0.871), "precision>=0.95", "ana"
    )  # fmt: skip
    assert row.id is not None and row.evidence == evidence


@pytest.mark.parametrize("bad", [1.5, -1.01, float("nan")])
def test_threshold_outside_cosine_range_is_refused(env, session, bad):
    with pytest.raises(ValidationError, match="threshold"):
        active.record(session, bad, model=MODEL, goal="", evidence={}, user="ana")


def test_threshold_without_a_model_is_refused(env, session):
    with pytest.raises(ValidationError, match="model"):
        active.record(session, 0.9, model="", goal="", evidence={}, user="ana")
