"""The Exports page offers the capture-history and score exports with their own parameters;
the Similarity page shows the scores summary."""

from __future__ import annotations

import zipfile

import pytest

from deertrack_core.jobstatus import get_store
from tests.ui.conftest import run_page
from tests.ui.test_jobs_pages import immediate  # noqa: F401 - fixture
from tests.ui.test_provenance_pages import machine_archive  # noqa: F401 - fixture (coordinates)
from ui import background
from ui import state as K


def _labels(at):
    return {w.label for kind in ("selectbox", "number_input", "checkbox") for w in at.get(kind)}


def test_each_export_type_asks_for_its_own_parameters(archive):
    at = run_page("exports.py")
    assert "Independence interval (minutes)" in _labels(at)  # the seasonal PDF's default
    at.selectbox(key="export_report").set_value("secr_capthist").run()
    assert not at.exception
    labels = _labels(at)
    assert "Occasion" in labels and "Confirmed identities only" in labels
    assert "Independence interval (minutes)" not in labels
    assert any("read.capthist" in c.value for c in at.caption)
    at.selectbox(key="export_report").set_value("scores_csv").run()
    labels = _labels(at)
    assert {"Model (blank: all)", "Run (blank: all)"} <= labels
    assert "Confirmed identities only" not in labels
    assert at.selectbox(key="export_model").options == ["test-model"]


@pytest.mark.parametrize(
    ("report", "inside"),
    [("secr_capthist", "capthist.csv"), ("detection_history", None), ("mark_inp", None)],
)
@pytest.mark.usefixtures("machine_archive")
def test_a_capture_history_export_runs_from_the_page(immediate, report, inside):  # noqa: F811
    at = run_page("exports.py")
    at.selectbox(key="export_report").set_value(report).run()
    at.selectbox(key="export_group").set_value("day")
    at.checkbox(key=K.EXPORT_CONFIRMED).check()
    at.button(key="export_submit").click().run()
    assert not at.exception, at.exception
    job = get_store().get(at.session_state[K.EXPORT_JOB])
    assert job.status == "completed", job.message
    assert job.params["group_by"] == "day" and job.params["confirmed_only"] is True
    if inside:
        with zipfile.ZipFile(job.result_path) as z:
            assert inside in z.namelist()


def test_a_scores_export_takes_the_model_filter(immediate):  # noqa: F811
    at = run_page("exports.py")
    at.selectbox(key="export_report").set_value("scores_csv").run()
    at.selectbox(key="export_model").set_value("test-model")
    at.button(key="export_submit").click().run()
    job = get_store().get(at.session_state[K.EXPORT_JOB])
    assert job.status == "completed" and job.params["model"] == "test-model"


def test_similarity_page_shows_the_scores_summary(archive):
    at = run_page("similarity.py")
    assert not at.exception
    assert "Summarising every logged score…" in [c.value for c in at.caption]
    background.wait()  # summarised in the background, then shown
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Scores"].replace(",", "")) > 0
    assert "Led to a match" in metrics and "ROC AUC (reviewed)" in metrics
    runs = at.dataframe[0].value
    assert list(runs["model"].unique()) == ["test-model"]
    # The run id's end, not 25-32 characters that push the last columns off the table.
    assert list(runs["run"]) == ["…run-1"]  # the fixture's run id is "run-1"
