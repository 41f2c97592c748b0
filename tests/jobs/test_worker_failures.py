"""Jobs always end, through real ``deertrack worker`` processes: a killed worker's job runs again
on the next worker (once), and fails after its last attempt; a hung job fails at its time limit;
a killed export leaves no partial file. On the embedded SqliteHuey queue (status in SQLite or
PostgreSQL) and on RedisHuey (status in Redis)."""

from __future__ import annotations

import datetime as dt
import re
import signal

import pytest

from deertrack_core.jobstatus import get_store
from jobs import config, tasks
from tests.conftest import REDIS_TEST_URL, _backends, scratch_database
from tests.jobs.conftest import wait_for, worker_log
from tests.jobs.test_api import GOOD_PDF, seed_archive

QUEUES = [b for b in ("sqlite", "postgresql") if b in _backends()] + ["redis"]


@pytest.fixture(params=QUEUES)
def queue(request, tmp_path, monkeypatch):
    """Producers here and the workers started by the test share this queue and status store:
    SqliteHuey with status in SQLite or PostgreSQL, or RedisHuey with status in Redis."""
    from deertrack_core import db
    from deertrack_core.models import Base

    monkeypatch.setenv("DEERTRACK_JOB_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("DEERTRACK_JOB_STALE_S", "3")
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("DEERTRACK_HUEY_IMMEDIATE", raising=False)
    with scratch_database(
        "postgresql" if request.param == "postgresql" else "sqlite", tmp_path / "db"
    ) as url:
        if request.param == "redis":
            prefix = request.getfixturevalue("redis_prefix")
            monkeypatch.setenv("DEERTRACK_REDIS_URL", REDIS_TEST_URL)
            monkeypatch.setenv("DEERTRACK_QUEUE_NAME", f"{prefix}q")
        else:
            (tmp_path / "db").mkdir(exist_ok=True)
            Base.metadata.create_all(db.get_engine(url))
            monkeypatch.setenv("DEERTRACK_DATABASE_URL", url)
            monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
            monkeypatch.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "queue" / "huey.db"))
        config.configure()
        try:
            yield request.param
        finally:
            config.huey.storage.flush_all()
            monkeypatch.undo()
            config.configure()


def finished(job_id):
    state = get_store().get(job_id)
    return state if state is not None and state.finished else None


def running_attempt(job_id, attempt):
    """The job runs its ``attempt`` and has reported progress (its body is under way)."""
    state = get_store().get(job_id)
    return state.status == "processing" and state.attempt == attempt and state.percent > 0


def runs(tmp_path, job_id) -> list[tuple[int, str]]:
    """(attempt, host:pid) of every run of the job, from the workers' logs."""
    found = re.findall(
        rf"running job {job_id} \(\w+\) attempt (\d+) in (\S+)", worker_log(tmp_path)
    )
    return [(int(attempt), where) for attempt, where in found]


def pid_of(where: str) -> int:
    return int(where.rsplit(":", 1)[1])


def kill(worker) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait()


def seconds_left(job_id) -> float:
    """How long the job's record has before it expires."""
    store = get_store()
    if hasattr(store, "client"):
        return store.client.ttl(store._key(job_id))  # noqa: SLF001
    from deertrack_core import db
    from deertrack_core.models import Job

    with db.session_scope(store.url) as session:
        expires = session.get(Job, job_id).expires_at
    return (expires - dt.datetime.now(dt.UTC).replace(tzinfo=None)).total_seconds()


def test_killed_workers_job_runs_again_once_on_the_next_worker(queue, start_worker, tmp_path):
    first = start_worker()
    job_id = tasks.enqueue_selftest(seconds=6, steps=60)
    wait_for(lambda: running_attempt(job_id, 1), timeout=120)
    kill(first)
    others = {start_worker().pid, start_worker().pid}  # both look for dead workers' jobs
    state = wait_for(lambda: finished(job_id), timeout=180)
    assert (state.status, state.attempt, state.result["attempt"]) == ("completed", 2, 2)
    ran = runs(tmp_path, job_id)
    assert [attempt for attempt, _ in ran] == [1, 2]  # never twice: one run per attempt
    assert pid_of(ran[0][1]) == first.pid and pid_of(ran[1][1]) in others


def test_job_killed_on_every_attempt_fails_after_the_last(
    queue, start_worker, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEERTRACK_JOB_ATTEMPTS", "2")
    job_id = tasks.enqueue_selftest(seconds=600, steps=600)
    for attempt in (1, 2):
        worker = start_worker()
        wait_for(lambda a=attempt: running_attempt(job_id, a), timeout=120)
        kill(worker)
    start_worker()
    state = wait_for(lambda: finished(job_id), timeout=120)
    assert (state.status, state.attempt) == ("failed", 2)
    assert "it was started 2 times (DEERTRACK_JOB_ATTEMPTS)" in state.error
    assert [attempt for attempt, _ in runs(tmp_path, job_id)] == [1, 2]
    # The failed record goes an hour after the end, like any finished job's (not in a week).
    assert 0 < seconds_left(job_id) <= 3600


def test_hung_job_fails_at_its_limit_and_the_worker_goes_on(
    queue, start_worker, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEERTRACK_JOB_TIMEOUTS", "selftest=3")
    worker = start_worker()
    hung = tasks.enqueue_selftest(stuck="sleep")  # its heartbeat goes on: only a limit ends it
    state = wait_for(lambda: finished(hung), timeout=120)
    assert state.status == "failed"
    assert state.error.startswith("timed out: still running after its limit of 3 s")
    after = tasks.enqueue_selftest(seconds=0.1)
    assert wait_for(lambda: finished(after), timeout=120).status == "completed"
    assert worker.poll() is None  # restarted in place: the same process, a fresh program
    assert pid_of(runs(tmp_path, after)[0][1]) == worker.pid
    assert f"restarting this worker (pid {worker.pid})" in worker_log(tmp_path)


def test_worker_stuck_in_native_code_is_killed_by_its_sidecar(
    redis_queue, start_worker, tmp_path, monkeypatch
):
    monkeypatch.setenv("DEERTRACK_JOB_TIMEOUTS", "selftest=2")
    worker = start_worker()
    job_id = tasks.enqueue_selftest(stuck="native")  # holds the interpreter: no thread runs
    state = wait_for(lambda: finished(job_id), timeout=120)
    assert state.error.startswith("timed out: still running after its limit of 2 s")
    assert worker.wait(timeout=60) == -signal.SIGKILL
    assert "does not respond (stuck in native code?): killing the worker" in worker_log(tmp_path)


@pytest.mark.slow
def test_killed_export_leaves_no_partial_file(redis_queue, session, start_worker, tmp_path):
    pytest.importorskip("deertrack_core.reports.pdf_seasonal")
    seed_archive(session)
    first = start_worker()
    job_id = tasks.enqueue_export(GOOD_PDF)
    folder = tmp_path / "exports" / job_id

    def partial():
        return next(folder.glob("*.part"), None) if folder.is_dir() else None

    part = wait_for(partial, timeout=120, every=0.01)
    kill(first)
    assert part.exists()  # what the kill left behind
    start_worker()
    state = wait_for(lambda: finished(job_id), timeout=180)
    assert (state.status, state.attempt) == ("completed", 2), state.message
    assert [p.suffix for p in folder.iterdir()] == [".pdf"]


def test_unknown_way_to_hang_is_refused_and_queues_nothing(redis_queue):
    from deertrack_core.errors import ValidationError

    with pytest.raises(ValidationError, match="not a way to hang"):
        tasks.enqueue_selftest(stuck="forever")
    assert tasks.queue_length() == 0
