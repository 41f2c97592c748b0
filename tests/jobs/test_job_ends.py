"""Jobs always end, on every store (SQLite, PostgreSQL, Redis): a run holds its job by its
attempt, jobs of dead workers are recovered once, finished records expire and are pruned."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from deertrack_core.errors import ConfigurationError
from deertrack_core.jobstatus import GAVE_UP, RETRIED, policy
from tests.jobs.conftest import wait_for


def running(store, kind="export"):
    job_id = store.create(kind, {"report_type": "camtrap_dp"}).id
    assert store.claim(job_id).attempt == 1
    return job_id


def silence(store, job_id):
    """Make the job's worker look dead: no heartbeat for longer than ``stale_s``."""
    store.stale_s = 0.05
    time.sleep(0.1)
    return next(j for j in store.dead() if j.id == job_id)


# --- claim: one run per job ---------------------------------------------------------------------


def test_claim_takes_a_queued_job_once(store):
    job_id = store.create("export").id
    claimed = store.claim(job_id)
    assert (claimed.status, claimed.attempt, claimed.kind) == ("processing", 1, "export")
    assert store.claim(job_id) is None  # a second delivery of the same job does not run
    assert store.get(job_id).status == "processing"


def test_claim_of_a_finished_or_unknown_job_is_refused(store):
    job_id = running(store)
    store.complete(job_id, attempt=1)
    assert store.claim(job_id) is None
    assert store.claim("no-such-job") is None


def test_racing_claims_let_exactly_one_worker_run_the_job(store):
    job_id = store.create("export").id
    won: list[int | None] = []
    start = threading.Barrier(4)

    def claim():
        start.wait()
        claimed = store.claim(job_id)
        won.append(claimed.attempt if claimed else None)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won, key=str) == [1, None, None, None]


def test_claim_after_a_retry_runs_the_next_attempt(store):
    job_id = running(store)
    store.retry(job_id, 2, 3, "OSError: disk full", attempt=1)
    assert store.claim(job_id).attempt == 2
    assert store.get(job_id).message == "started (attempt 2)"


# --- fenced writes: a run that lost its job changes nothing -------------------------------------


def test_writes_of_the_attempt_that_holds_the_job_land(store):
    job_id = running(store)
    assert store.progress(job_id, 50.0, "half", attempt=1)
    assert store.heartbeat(job_id, attempt=1)
    assert store.complete(job_id, None, {"n": 1}, attempt=1)
    assert store.get(job_id).status == "completed"


def test_writes_of_an_attempt_that_lost_the_job_are_dropped(store):
    job_id = running(store)
    job = silence(store, job_id)
    assert store.recover(job, 3, "its worker stopped") == RETRIED
    assert store.claim(job_id).attempt == 2  # another worker runs attempt 2
    # attempt 1 was not dead after all: whatever it writes now is refused
    assert not store.progress(job_id, 99.0, "late", attempt=1)
    assert not store.heartbeat(job_id, attempt=1)
    assert not store.complete(job_id, "/tmp/late.pdf", attempt=1)
    assert not store.fail(job_id, "late failure", attempt=1)
    state = store.get(job_id)
    assert (state.status, state.attempt, state.result_path) == ("processing", 2, None)


def test_a_timed_out_run_cannot_complete_later(store):
    job_id = running(store)
    assert store.fail(job_id, policy.timeout_message(2, "export"), attempt=1)
    assert not store.complete(job_id, "/tmp/late.pdf", attempt=1)
    state = store.get(job_id)
    assert state.status == "failed"
    assert state.error.startswith("timed out: still running after its limit of 2 s")


# --- jobs of dead workers -----------------------------------------------------------------------


def test_dead_lists_only_silent_processing_jobs(store):
    silent = running(store)
    store.create("export")  # queued: not dead, whatever its age
    done = running(store)
    store.complete(done, attempt=1)
    job = silence(store, silent)
    assert [j.id for j in store.dead()] == [job.id]
    assert job.status == "processing"  # as stored, not as readers see it


def test_beating_job_is_not_dead(store):
    job_id = running(store)
    store.stale_s = 30
    store.heartbeat(job_id, attempt=1)
    assert store.dead() == []


def test_dead_job_is_queued_again_for_its_next_attempt(store):
    job_id = running(store)
    job = silence(store, job_id)
    assert store.recover(job, 3, "its worker stopped") == RETRIED
    state = store.get(job_id)
    assert (state.status, state.attempt) == ("queued", 2)
    assert state.message == "retrying (attempt 2 of 3) after: its worker stopped"
    assert store.dead() == []


def test_two_workers_recovering_the_same_job_retry_it_once(store):
    job_id = running(store)
    job = silence(store, job_id)
    assert store.recover(job, 3, "gone") == RETRIED
    assert store.recover(job, 3, "gone") is None
    assert store.get(job_id).attempt == 2


def test_job_that_beats_again_is_not_recovered(store):
    job_id = running(store)
    job = silence(store, job_id)
    store.stale_s = 30
    store.heartbeat(job_id, attempt=1)  # the worker was only slow
    assert store.recover(job, 3, "gone") is None
    assert store.get(job_id).status == "processing"


def test_dead_job_fails_after_its_last_attempt_and_expires(store):
    job_id = running(store)
    for attempt in (1, 2):
        job = silence(store, job_id)
        assert store.recover(job, 3, "its worker stopped") == RETRIED
        assert store.claim(job_id).attempt == attempt + 1
    job = silence(store, job_id)
    assert store.recover(job, 3, "its worker stopped") == GAVE_UP
    state = store.get(job_id)
    assert (state.status, state.attempt) == ("failed", 3)
    assert state.error.startswith("its worker stopped; it was started 3 times")
    assert state.finished_at is not None


# --- expiry -------------------------------------------------------------------------------------


def test_finished_record_is_gone_after_its_keep_time_and_pruned(store):
    store.keep_s = 1
    old = running(store)
    store.complete(old, attempt=1)
    young = store.create("export").id
    wait_for(lambda: store.get(old) is None, timeout=30)
    assert store.prune() == 1  # the row (SQL), the index entry (Redis: the key expired itself)
    assert store.prune() == 0
    assert [s.id for s in store.list_recent()] == [young]
    assert store.get(young).status == "queued"


def test_killed_job_failed_by_recovery_expires_like_a_finished_one(store):
    store.keep_s = 1
    job_id = running(store)
    job = silence(store, job_id)
    assert store.recover(job, 1, "its worker stopped") == GAVE_UP
    wait_for(lambda: store.get(job_id) is None, timeout=30)


def test_write_to_an_expired_record_is_dropped(store):
    store.keep_s = 1
    job_id = running(store)
    store.complete(job_id, attempt=1)
    wait_for(lambda: store.get(job_id) is None, timeout=30)
    store.progress(job_id, 5.0, "late")
    assert store.get(job_id) is None


def test_unfinished_record_expires_a_week_after_it_was_queued(store):
    from deertrack_core.jobstatus import UNFINISHED_TTL_S

    job_id = store.create("export").id
    if hasattr(store, "client"):
        ttl = store.client.ttl(store._key(job_id))  # noqa: SLF001
    else:
        from deertrack_core import db
        from deertrack_core.models import Job

        with db.session_scope(store.url) as session:
            expires = session.get(Job, job_id).expires_at.replace(tzinfo=dt.UTC)
        ttl = (expires - dt.datetime.now(dt.UTC)).total_seconds()
    assert UNFINISHED_TTL_S - 60 < ttl <= UNFINISHED_TTL_S


# --- policy -------------------------------------------------------------------------------------


def test_time_limits_per_kind_replace_the_default(monkeypatch):
    monkeypatch.setenv("DEERTRACK_JOB_TIMEOUT_S", "600")
    monkeypatch.setenv("DEERTRACK_JOB_TIMEOUTS", "ingest=7200, selftest=2")
    assert (policy.timeout_for("export"), policy.timeout_for("ingest")) == (600.0, 7200.0)
    assert policy.timeout_for("selftest") == 2.0
    assert "DEERTRACK_JOB_TIMEOUTS" in policy.timeout_message(2, "selftest")
    assert "DEERTRACK_JOB_TIMEOUT_S" in policy.timeout_message(600, "export")


@pytest.mark.parametrize("text", ["ingest", "ingest=", "ingest=-5", "Ingest=5", "=5", "a=b"])
def test_malformed_time_limits_are_refused_with_the_fix(monkeypatch, text):
    monkeypatch.setenv("DEERTRACK_JOB_TIMEOUTS", text)
    with pytest.raises(ConfigurationError, match="kind=seconds"):
        policy.timeout_for("ingest")


@pytest.mark.parametrize("name", ["DEERTRACK_JOB_TIMEOUT_S", "DEERTRACK_JOB_ATTEMPTS"])
def test_non_positive_limits_are_refused(monkeypatch, name):
    monkeypatch.setenv(name, "0")
    with pytest.raises(ConfigurationError, match=name):
        policy.timeout_for("export") if "TIMEOUT" in name else policy.max_attempts()
