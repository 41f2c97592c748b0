"""Tasks through a real worker process on the real Redis (and the embedded SQLite queue)."""

from __future__ import annotations

import signal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deertrack_core.errors import ValidationError
from deertrack_core.jobstatus import get_store
from jobs import config, tasks
from tests.jobs.conftest import wait_for


def finished(job_id):
    state = get_store().get(job_id)
    return state if state is not None and state.finished else None


def test_selftest_job_completes_through_a_worker(on_shared_worker):
    job_id = tasks.enqueue_selftest(seconds=0.2, steps=4)
    state = wait_for(lambda: finished(job_id))
    assert (state.status, state.percent, state.message) == ("completed", 100.0, "self-test passed")
    assert state.result == {"attempt": 1, "steps": 4}


def test_enqueue_writes_queued_status(redis_queue):
    job_id = tasks.enqueue_selftest()
    state = get_store().get(job_id)
    assert (state.status, state.kind) == ("queued", "selftest")
    assert tasks.queue_length() == 1


def test_retried_job_completes_on_its_second_attempt(on_shared_worker):
    job_id = tasks.enqueue_selftest(fail_attempts=1)
    state = wait_for(lambda: finished(job_id))
    assert (state.status, state.attempt, state.result["attempt"]) == ("completed", 2, 2)


def test_failing_attempt_with_retries_left_reads_as_retrying(redis_queue):
    store = get_store()
    job_id = store.create("selftest").id
    huey_task = tasks.selftest_task.s(job_id, {})  # a real Huey task with 2 retries left

    def crash(progress):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        tasks.run_job(job_id, huey_task, tasks.SELFTEST_RETRIES, crash)
    state = store.get(job_id)
    assert (state.status, state.attempt) == ("queued", 2)
    assert state.message.startswith("retrying (attempt 2 of 3) after: OSError: disk full")


def test_crash_after_last_retry_fails_with_type_and_log_hint(on_shared_worker):
    job_id = tasks.enqueue_selftest(fail_attempts=3)
    state = wait_for(lambda: finished(job_id))
    assert (state.status, state.attempt) == ("failed", 3)
    assert state.error == (
        "RuntimeError: self-test failure on attempt 3 (see the worker log for details)"
    )


def test_deertrack_error_fails_at_once_with_its_message(on_shared_worker):
    job_id = tasks.enqueue_selftest(user_error="No photos in that date range.")
    state = wait_for(lambda: finished(job_id))
    assert (state.status, state.attempt) == ("failed", 1)
    assert state.error == "No photos in that date range. This is a self-test; nothing to fix."


def test_killed_worker_job_reads_as_failed(redis_queue, start_worker):
    worker = start_worker()
    job_id = tasks.enqueue_selftest(seconds=120, steps=1200)
    wait_for(lambda: get_store().get(job_id).percent > 0)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    state = wait_for(lambda: finished(job_id), timeout=60)
    assert state.status == "failed"
    assert "worker stopped responding" in state.error


def test_invalid_export_enqueues_nothing(redis_queue):
    with pytest.raises(ValidationError, match="start_date must be on or before end_date"):
        tasks.enqueue_export(
            {"report_type": "camtrap_dp", "start_date": "2024-02-01", "end_date": "2024-01-01"}
        )
    assert tasks.queue_length() == 0
    assert get_store().list_recent() == []


def test_export_naming_a_missing_deployment_enqueues_nothing(redis_queue, engine):
    with pytest.raises(ValidationError, match="deployments 99 do not exist"):
        tasks.enqueue_export({"report_type": "camtrap_dp", "deployments": [99]})
    assert tasks.queue_length() == 0


# --- property: every bad request is refused, names its field, and enqueues nothing -------------

FIELD_BAD_VALUES = {
    "report_type": st.one_of(st.text(max_size=12), st.integers(), st.none()),
    "start_date": st.one_of(st.text(max_size=12), st.integers(), st.booleans()),
    "end_date": st.one_of(st.text(max_size=12), st.floats(allow_nan=True)),
    "group_by": st.one_of(st.text(max_size=8).filter(bool), st.integers()),
    "independence_minutes": st.one_of(
        st.integers(max_value=-1), st.floats(max_value=-0.001), st.text(max_size=6).filter(bool)
    ),
    "deployments": st.one_of(
        st.text(min_size=1, max_size=5),
        st.lists(st.integers(max_value=0), min_size=1, max_size=3),
    ),
}
VALID = {"report_type": "seasonal_activity", "start_date": "2024-01-01", "end_date": "2024-12-31"}


def _really_bad(field, value) -> bool:
    """Drop generated values that happen to be valid (e.g. the text 'week' for group_by)."""
    try:
        from deertrack_core.reports.request import validate_export_request

        validate_export_request({**VALID, field: value})
    except ValidationError:
        return True
    return False


bad_requests = st.dictionaries(
    st.sampled_from(sorted(FIELD_BAD_VALUES)), st.just(None), min_size=1, max_size=4
).flatmap(
    lambda keys: st.fixed_dictionaries({k: FIELD_BAD_VALUES[k] for k in keys}).filter(
        lambda bad: all(_really_bad(k, v) for k, v in bad.items())
    )
)
unknown_fields = st.dictionaries(
    st.text(min_size=1, max_size=10).filter(lambda k: k not in VALID and k not in FIELD_BAD_VALUES),
    st.integers(),
    max_size=2,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=bad_requests, extra=unknown_fields)
def test_random_bad_requests_are_refused_and_enqueue_nothing(redis_queue, bad, extra):
    before = tasks.queue_length()
    with pytest.raises(ValidationError) as info:
        tasks.enqueue_export({**VALID, **bad, **extra})
    problems = info.value.problems
    expected = set(bad) | set(extra)
    # start after end is reported on start_date when both dates are valid on their own
    assert expected <= set(problems) | ({"end_date"} if "start_date" in problems else set())
    assert set(problems) <= expected | {"start_date"}
    for field in bad:
        assert field in problems[field] or field == "end_date"
    assert tasks.queue_length() == before
    assert get_store().list_recent() == []


# --- the embedded default and immediate mode -----------------------------------------------------


def test_sqlite_queue_and_sql_status_through_a_worker(tmp_path, monkeypatch, start_worker):
    from deertrack_core import db
    from deertrack_core.models import Base

    url = f"sqlite:///{tmp_path / 'deertrack.db'}"
    Base.metadata.create_all(db.get_engine(url))
    monkeypatch.setenv("DEERTRACK_DATABASE_URL", url)
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "queue" / "huey.db"))
    monkeypatch.setenv("DEERTRACK_JOB_HEARTBEAT_S", "0.2")
    config.configure()
    try:
        start_worker()
        job_id = tasks.enqueue_selftest(seconds=0.1, steps=2)
        state = wait_for(lambda: finished(job_id))
        assert state.status == "completed"
        assert (tmp_path / "queue" / "huey.db").exists()
    finally:
        monkeypatch.undo()
        config.configure()


def test_immediate_mode_runs_the_job_in_process(engine, monkeypatch):
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    try:
        job_id = tasks.enqueue_selftest(steps=3)
        assert get_store().get(job_id).status == "completed"
    finally:
        monkeypatch.undo()
        config.configure()


def test_progress_writer_throttles_writes(redis_queue):
    store = get_store()
    job_id = store.create("selftest").id
    writer = tasks.ProgressWriter(store, job_id, interval=3600)
    writer(1, 10, "first")
    writer(9, 10, "dropped")
    assert (store.get(job_id).percent, store.get(job_id).message) == (10.0, "first")


def test_progress_writer_scales_phases(redis_queue):
    store = get_store()
    job_id = store.create("ingest").id
    writer = tasks.ProgressWriter(store, job_id, interval=0)
    writer.scale = (80.0, 100.0)
    writer(1, 2, "detections")
    assert store.get(job_id).percent == 90.0
