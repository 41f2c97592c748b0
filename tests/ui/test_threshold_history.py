"""The Threshold page's history, drift check and automatic-update state (issue 9, part 3)."""

from __future__ import annotations

import datetime as dt

import pytest

from deertrack_core.models import ReidSetting
from tests.review import factory
from tests.ui.conftest import run_page
from ui import background


@pytest.fixture
def evidence(session, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_USER", "tester")
    monkeypatch.delenv("DEERTRACK_AUTO_THRESHOLD", raising=False)
    monkeypatch.chdir(factory.Path(__file__).resolve().parents[2])
    arc = factory.build(session, tmp_path, evidence=True)
    session.add(
        ReidSetting(
            model="test-model",
            threshold=0.42,
            goal="precision>=0.95",
            set_by="ana",
            set_at=dt.datetime(2030, 1, 1),
            evidence={
                "same_pairs": 9,
                "different_pairs": 18,
                "target_precision": 0.95,
                "roc_auc": 0.9,
                "metrics": {"precision": 0.97, "recall": 0.5},
            },
        )  # fmt: skip
    )
    session.commit()
    return arc


def _texts(at) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption])


def test_history_lists_every_threshold_with_its_evidence_and_a_chart(evidence):
    at = run_page("threshold.py")
    assert not at.exception
    assert "History" in [s.value for s in at.subheader]
    table = at.dataframe[-1].value
    assert list(table["threshold"])[:2] == [0.42, 0.85]  # newest first
    assert table.iloc[0]["same pairs"] == 9 and table.iloc[0]["by"] == "ana"
    assert table.iloc[0]["kind"] == "manual"
    assert len(at.get("vega_lite_chart")) >= 3  # ROC, PR and the history


def test_the_drift_check_tests_the_recorded_threshold_with_an_interval(evidence):
    from deertrack_core.reid.drift import drift_report

    at = run_page("threshold.py")
    # The refit runs in the background: the page says so, then shows the verdict.
    assert "Refitting the calibrator" in _texts(at) + " ".join(c.value for c in at.caption)
    background.wait()
    at.run()
    with factory_session(evidence) as s:
        r = drift_report(s, "test-model")
    text = _texts(at)
    assert f"threshold **{r.threshold:.3f}**" in text
    assert f"95% interval {r.interval[0]:.3f}–{r.interval[1]:.3f}" in text
    assert "Automatic updates are off" in text


def test_the_auto_apply_setting_is_shown_when_on(evidence, monkeypatch):
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD", "on")
    monkeypatch.setenv("DEERTRACK_AUTO_THRESHOLD_PAIRS", "7")
    run_page("threshold.py")
    background.wait()  # the drift check (which counts the new pairs) is refitted in the background
    at = run_page("threshold.py")
    assert "Automatic updates are on**: after 7 new same-deer pairs" in _texts(at)


def test_without_evidence_the_history_still_shows(archive):
    at = run_page("threshold.py")
    assert not at.exception
    assert "History" in [s.value for s in at.subheader]


def factory_session(_):
    from deertrack_core import db

    return db.session_scope()
