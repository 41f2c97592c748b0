from __future__ import annotations

import pytest

from deertrack_core import db
from deertrack_core.jobstatus import get_store
from deertrack_core.models import ReidSetting
from tests.review import factory
from tests.ui.conftest import run_page
from ui import state as K


@pytest.fixture
def evidence(session, tmp_path, monkeypatch):
    monkeypatch.setenv("DEERTRACK_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEERTRACK_USER", "tester")
    monkeypatch.chdir(factory.Path(__file__).resolve().parents[2])
    return factory.build(session, tmp_path, evidence=True)


def test_similarity_draws_both_histograms(archive):
    at = run_page("similarity.py")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2


def test_similarity_without_scores_says_how_to_get_them(empty_db):
    at = run_page("similarity.py")
    assert not at.exception
    assert any("No similarity scores" in i.value for i in at.info)


def test_threshold_without_evidence_says_what_is_missing(archive):
    at = run_page("threshold.py")
    assert not at.exception
    assert any("Not enough reviewed evidence" in w.value for w in at.warning)


def test_moving_the_slider_moves_the_operating_point(evidence):
    at = run_page("threshold.py")
    assert not at.exception
    at.toggle(key=K.THR_RANGE).set_value(False).run()  # the whole range
    at.slider(key=K.THR_SLIDER).set_value(0.0).run()
    low = [c.value for c in at.caption if c.value.startswith("Operating point")][0]
    recall_low = at.metric[1].value
    at.slider(key=K.THR_SLIDER).set_value(0.9).run()
    high = [c.value for c in at.caption if c.value.startswith("Operating point")][0]
    assert low != high and float(at.metric[1].value) < float(recall_low)


def test_the_slider_spans_where_the_scores_overlap_and_zooms_out(evidence):
    at = run_page("threshold.py")
    zoomed = at.slider(key=K.THR_SLIDER)
    assert 0.0 < zoomed.min < zoomed.max <= 1.0 and zoomed.step == 0.001
    assert zoomed.min <= zoomed.value <= zoomed.max
    at.toggle(key=K.THR_RANGE).set_value(False).run()
    whole = at.slider(key=K.THR_SLIDER)
    assert whole.min <= 0.0 and whole.max == 1.0


def test_every_measure_has_a_plain_gloss(evidence):
    at = run_page("threshold.py")
    text = " ".join(m.value for m in at.markdown)
    for name in ("Precision", "Recall", "Youden's J", "AUC", "AP", "TP / FP / FN / TN"):
        assert f"**{name}**:" in text
    assert all(m.help for m in at.metric[:4])


def test_similarity_heights_can_be_normalised_or_logarithmic(archive):
    at = run_page("similarity.py")
    for view in ("density", "log"):
        at.radio(key=K.SIM_VIEW).set_value(view).run()
        assert not at.exception and len(at.get("vega_lite_chart")) == 2


def test_apply_records_the_threshold(evidence, engine):
    at = run_page("threshold.py")
    at.toggle(key=K.THR_RANGE).set_value(False).run()
    at.slider(key=K.THR_SLIDER).set_value(0.5).run()
    at.button(key="thr_apply").click().run()
    assert not at.exception
    with db.session_scope(engine.url.render_as_string(hide_password=False)) as s:
        latest = s.query(ReidSetting).order_by(ReidSetting.id.desc()).first()
        assert (latest.threshold, latest.set_by) == (0.5, "tester")


@pytest.fixture
def queued(evidence, tmp_path, monkeypatch):
    """The evidence archive with a real embedded queue and no worker: enqueued jobs wait."""
    from jobs import config

    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "0")
    monkeypatch.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "huey.db"))
    config.configure()
    yield evidence
    monkeypatch.undo()
    config.configure()


def test_apply_with_rematch_records_then_queues_matching(queued, engine):
    at = run_page("threshold.py")
    at.slider(key=K.THR_SLIDER).set_value(0.5).run()
    at.checkbox(key=K.THR_REMATCH).check().run()
    at.button(key="thr_apply").click().run()
    assert not at.exception
    [job] = [j for j in get_store().list_recent(5) if j.kind == "rematch"]
    assert job.status == "queued"
    notice = f"Threshold 0.500 recorded. Re-matching job {job.id[:8]} queued."
    assert [s.value for s in at.success] == [notice]


def test_recommended_button_moves_the_slider(evidence):
    at = run_page("threshold.py")
    at.button(key="thr_use_recommended").click().run()
    assert not at.exception
    recommended = [m.value for m in at.metric if m.label.startswith("Recommended")][0]
    assert f"{at.slider(key=K.THR_SLIDER).value:.3f}" == recommended
