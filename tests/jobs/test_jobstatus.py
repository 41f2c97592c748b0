"""One test suite for every job-status store: SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from deertrack_core.jobstatus import FINISHED_TTL_S, JobState, apply_staleness
from deertrack_core.jobstatus.redis import RedisJobStatusStore


def test_created_job_is_queued(store):
    state = store.create("export", {"report_type": "camtrap_dp"})
    assert (state.status, state.percent, state.attempt) == ("queued", 0.0, 1)
    assert state.params == {"report_type": "camtrap_dp"}
    assert state.created_at is not None


def test_created_job_can_be_read_back(store):
    job_id = store.create("export", job_id="fixed-id").id
    assert store.get(job_id).id == "fixed-id"


def test_unknown_job_reads_as_none(store):
    assert store.get("no-such-job") is None


def test_start_marks_processing_with_heartbeat(store):
    job_id = store.create("export").id
    store.start(job_id)
    state = store.get(job_id)
    assert state.status == "processing"
    assert state.started_at is not None and state.heartbeat_at is not None


def test_progress_is_recorded(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.progress(job_id, 42.5, "rendering charts")
    state = store.get(job_id)
    assert (state.percent, state.message) == (42.5, "rendering charts")


def test_heartbeat_moves_forward(store):
    job_id = store.create("export").id
    store.start(job_id)
    first = store.get(job_id).heartbeat_at
    time.sleep(0.01)
    store.heartbeat(job_id)
    assert store.get(job_id).heartbeat_at > first


def test_complete_records_result(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.complete(job_id, "/tmp/report.pdf", {"pages": 3}, "report ready")
    state = store.get(job_id)
    assert state.status == "completed" and state.finished
    assert (state.percent, state.result_path, state.result) == (
        100.0,
        "/tmp/report.pdf",
        {"pages": 3},
    )
    assert state.message == "report ready" and state.finished_at is not None


def test_fail_records_readable_error(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.fail(job_id, "No photos in the date range. Widen the dates.")
    state = store.get(job_id)
    assert state.status == "failed"
    assert state.error == state.message == "No photos in the date range. Widen the dates."


def test_error_stays_what_the_job_failed_of(store):
    # A late progress write (a task thread still reporting) changes the message, not the error;
    # the SQL store once derived the error from the message and disagreed with Redis here.
    job_id = store.create("export").id
    store.start(job_id)
    store.fail(job_id, "OSError: disk full")
    store.progress(job_id, 90.0, "writing page 9")
    state = store.get(job_id)
    assert (state.status, state.message) == ("failed", "writing page 9")
    assert state.error == "OSError: disk full"


def test_error_is_none_until_the_job_fails(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.fail(job_id, "boom")
    store.retry(job_id, 2, 3, "boom")
    assert store.get(job_id).error is None
    store.start(job_id, attempt=2)
    store.complete(job_id)
    assert store.get(job_id).error is None


def test_retry_is_visible_as_such(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.retry(job_id, 2, 3, "OSError: disk full")
    state = store.get(job_id)
    assert (state.status, state.attempt) == ("queued", 2)
    assert state.message == "retrying (attempt 2 of 3) after: OSError: disk full"


def test_restart_after_retry_keeps_attempt(store):
    job_id = store.create("export").id
    store.retry(job_id, 2, 3, "boom")
    store.start(job_id, attempt=2)
    assert store.get(job_id).attempt == 2


def test_silent_processing_job_reads_as_failed(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.stale_s = 0.01
    time.sleep(0.05)
    state = store.get(job_id)
    assert state.status == "failed"
    assert "worker stopped responding" in state.message
    assert "deertrack worker" in state.error


def test_heartbeating_job_stays_processing(store):
    job_id = store.create("export").id
    store.start(job_id)
    store.heartbeat(job_id)
    assert store.get(job_id).status == "processing"


def test_list_recent_is_newest_first_and_limited(store):
    ids = [store.create("export").id for _ in range(4)]
    recent = store.list_recent(limit=3)
    assert [s.id for s in recent] == ids[::-1][:3]


def test_list_recent_filters_by_kind(store):
    store.create("export")
    backfill = store.create("backfill").id
    assert [s.id for s in store.list_recent(kind="backfill")] == [backfill]


def test_update_of_unknown_job_is_ignored(store):
    store.progress("no-such-job", 10.0, "x")
    assert store.get("no-such-job") is None


def test_as_dict_is_json_ready(store):
    state = store.create("export")
    data = state.as_dict()
    assert data["status"] == "queued" and isinstance(data["created_at"], str)


# --- staleness rule, pure -----------------------------------------------------------------------

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "silent_s", "expected"),
    [
        ("processing", 61, "failed"),
        ("processing", 59, "processing"),  # silent, but a running worker is taking it over
        ("processing", 29, "processing"),
        ("queued", 3600, "queued"),
        ("completed", 3600, "completed"),
    ],
)
def test_staleness_applies_only_to_silent_processing_jobs(status, silent_s, expected):
    state = JobState(
        id="j", kind="export", status=status, heartbeat_at=NOW - dt.timedelta(seconds=silent_s)
    )
    assert apply_staleness(state, now=NOW, stale_s=30).status == expected


def test_stale_message_names_the_silence_and_the_fix():
    state = JobState(
        id="j", kind="export", status="processing", heartbeat_at=NOW - dt.timedelta(seconds=45)
    )
    assert apply_staleness(state, now=NOW, stale_s=20).message == (
        "worker stopped responding (no heartbeat for 45 s); a running worker queues the job "
        "again (up to DEERTRACK_JOB_ATTEMPTS starts); if none runs, start one with "
        "`deertrack worker`"
    )


# --- Redis specifics ----------------------------------------------------------------------------


def redis_store(redis_prefix) -> RedisJobStatusStore:
    from tests.conftest import REDIS_TEST_URL

    return RedisJobStatusStore(REDIS_TEST_URL, prefix=redis_prefix)


def test_redis_finished_job_expires_after_an_hour(redis_prefix):
    store = redis_store(redis_prefix)
    job_id = store.create("export").id
    store.complete(job_id, None)
    ttl = store.client.ttl(f"{redis_prefix}job:{job_id}")
    assert FINISHED_TTL_S - 5 < ttl <= FINISHED_TTL_S


def test_redis_unfinished_job_has_a_longer_ttl(redis_prefix):
    store = redis_store(redis_prefix)
    job_id = store.create("export").id
    assert store.client.ttl(f"{redis_prefix}job:{job_id}") > FINISHED_TTL_S


def test_redis_expired_job_leaves_the_index(redis_prefix):
    store = redis_store(redis_prefix)
    keep = store.create("export").id
    gone = store.create("export").id
    store.client.delete(f"{redis_prefix}job:{gone}")  # what expiry does
    assert [s.id for s in store.list_recent()] == [keep]
    assert store.client.zrange(store.index, 0, -1) == [keep]


def test_sql_store_on_unmigrated_database_says_to_migrate(tmp_path):
    from deertrack_core.errors import DatabaseNotReadyError
    from deertrack_core.jobstatus.sql import SqlJobStatusStore

    store = SqlJobStatusStore(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotReadyError, match="deertrack migrate"):
        store.list_recent()


def test_sql_failed_row_without_error_reads_its_message(tmp_path):
    """Rows written before ``jobs.error`` existed held the error in the message only."""
    from deertrack_core import db
    from deertrack_core.jobstatus.sql import SqlJobStatusStore
    from deertrack_core.models import Base, Job

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    Base.metadata.create_all(db.get_engine(url))
    with db.session_scope(url) as s:
        s.add(Job(id="old", kind="export", status="failed", message="No photos.", error=None))
    assert SqlJobStatusStore(url).get("old").error == "No photos."
    db.dispose(url)
