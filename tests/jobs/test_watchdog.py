"""The worker's watchdog, in process: time limits, recovery of dead workers' jobs, sweeps; and
the one-message-per-outage rule with its backoff."""

from __future__ import annotations

import logging
import time

import pytest

from jobs import outage, watchdog


class Recorder:
    """Stands in for the queue (``requeue``) and for the worker restart."""

    def __init__(self):
        self.requeued, self.restarts = [], 0

    def requeue(self, job):
        self.requeued.append((job.id, job.attempt, job.params))

    def restart(self):
        self.restarts += 1


@pytest.fixture
def dog(store):
    calls = Recorder()
    dog = watchdog.Watchdog(calls.requeue, store=store, restart=calls.restart)
    dog.calls = calls
    return dog


def test_job_past_its_limit_is_failed_and_the_worker_restarts(dog, store):
    job_id = store.create("selftest").id
    store.claim(job_id)
    dog.begin(job_id, 1, "selftest", limit=0.01)
    time.sleep(0.05)
    dog.check_time_limits()
    state = store.get(job_id)
    assert state.status == "failed"
    assert state.error.startswith("timed out: still running after its limit of 0 s")
    assert dog.calls.restarts == 1


def test_job_within_its_limit_is_left_alone(dog, store):
    job_id = store.create("selftest").id
    store.claim(job_id)
    dog.begin(job_id, 1, "selftest", limit=3600)
    dog.check_time_limits()
    assert store.get(job_id).status == "processing" and dog.calls.restarts == 0


def test_other_jobs_of_a_restarting_worker_are_queued_again(dog, store):
    late = store.create("selftest").id
    other = store.create("export", {"report_type": "camtrap_dp"}).id
    for job_id in (late, other):
        store.claim(job_id)
    dog.begin(late, 1, "selftest", limit=0.01)
    dog.begin(other, 1, "export", limit=3600)
    time.sleep(0.05)
    dog.check_time_limits()
    assert dog.calls.requeued == [(other, 1, {"report_type": "camtrap_dp"})]
    state = store.get(other)
    assert (state.status, state.attempt) == ("queued", 2)
    assert f"restarted to stop job {late}" in state.message


def test_dead_workers_job_is_requeued_once(dog, store):
    job_id = store.create("export", {"report_type": "camtrap_dp"}).id
    store.claim(job_id)
    store.stale_s = 1.0
    time.sleep(1.2)  # silent, but not yet for twice stale_s
    assert watchdog.recover_dead(store, dog.calls.requeue) == [(job_id, "retried")]
    assert watchdog.recover_dead(store, dog.calls.requeue) == []
    assert [r[0] for r in dog.calls.requeued] == [job_id]
    assert "no heartbeat for 1 s" in store.get(job_id).message


def test_job_silent_so_long_that_it_read_as_failed_stays_failed(dog, store):
    job_id = store.create("export").id
    store.claim(job_id)
    store.stale_s = 0.05
    time.sleep(0.2)  # more than twice stale_s: no worker was there to take it over
    assert store.get(job_id).status == "failed"  # what everyone has seen meanwhile
    assert watchdog.recover_dead(store, dog.calls.requeue) == [(job_id, "failed")]
    assert dog.calls.requeued == []
    state = store.get(job_id)
    assert state.status == "failed" and "no worker took it over in time" in state.error
    assert state.finished_at is not None  # and it now expires like any finished job


def test_job_that_cannot_be_queued_again_is_failed_not_left_queued(store):
    job_id = store.create("mystery").id
    store.claim(job_id)
    store.stale_s = 1.0
    time.sleep(1.2)  # silent, but not yet for twice stale_s

    def broken(job):
        raise RuntimeError("queue unreachable")

    assert watchdog.recover_dead(store, broken) == []
    state = store.get(job_id)
    assert (
        state.status == "failed" and "could not be queued again: queue unreachable" in state.error
    )


def test_requeue_rebuilds_the_task_call_from_the_record(redis_queue):
    from deertrack_core.jobstatus import get_store
    from jobs import recovery, tasks

    job_id = tasks.enqueue_backfill(model="m1")
    config_queue = tasks.huey
    config_queue.storage.flush_queue()
    recovery.requeue(get_store().get(job_id))
    message = config_queue.dequeue()
    assert message.name == "backfill_task"
    assert message.args == (job_id, {"model": "m1"})
    assert message.kwargs["actor"]["kind"] == "local"


# --- one message per outage -------------------------------------------------------------------


def test_outage_waits_double_up_to_a_cap():
    gone = outage.Outage("Redis at x", "start it", first=0.5, cap=4)
    waits = [gone.failed(OSError("refused")) for _ in range(6)]
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_outage_says_once_what_is_down_and_once_that_it_is_back(caplog):
    gone = outage.Outage("Redis at redis://h:6379/0", "start Redis", first=0.5, cap=30)
    with caplog.at_level(logging.INFO, logger="jobs.outage"):
        gone.ok()  # nothing to say while all is well
        for _ in range(5):
            gone.failed(ConnectionError("Connection refused"))
        gone.ok()
        gone.ok()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith("Redis at redis://h:6379/0 is unreachable (Connection refused).")
    assert lines[0].endswith("Fix: start Redis")
    assert lines[1].startswith("Redis at redis://h:6379/0 is back after")
    assert "(5 failed tries)" in lines[1]
    assert gone.failed(ConnectionError("again")) == 0.5  # a new outage starts over


def test_outage_hides_the_redis_password(monkeypatch):
    monkeypatch.setenv("DEERTRACK_REDIS_URL", "redis://:s3cret@db.lab:6379/0")
    outage.reset()
    try:
        assert "s3cret" not in outage.outage("redis").what
        assert "db.lab:6379" in outage.outage("redis").what
    finally:
        outage.reset()


def test_jobs_sweep_command_recovers_and_prunes(redis_queue, monkeypatch, capsys):
    from deertrack_cli.main import build_parser, main
    from deertrack_core.jobstatus import get_store

    build_parser()  # imports every command now, not while the job's silence is being timed
    monkeypatch.setenv("DEERTRACK_JOB_STALE_S", "1")
    store = get_store()
    job_id = store.create("selftest", {"seconds": 0}).id
    store.claim(job_id)
    time.sleep(1.2)
    assert main(["jobs", "sweep"]) == 0
    assert capsys.readouterr().out.startswith("jobs of dead workers: 1 queued again, 0 failed;")
    assert (get_store().get(job_id).status, get_store().get(job_id).attempt) == ("queued", 2)


def test_next_attempt_starts_with_an_empty_job_folder(redis_queue, monkeypatch, tmp_path):
    """A run killed after writing its file but before recording it left a whole file; the next
    attempt must not add a second one beside it."""
    from deertrack_core.jobstatus import get_store
    from jobs import tasks

    monkeypatch.setenv("DEERTRACK_JOB_STALE_S", "1")
    store = get_store()
    job_id = store.create("export", {"report_type": "camtrap_dp"}).id
    store.claim(job_id)
    folder = tmp_path / "exports" / job_id
    folder.mkdir(parents=True)
    (folder / "camtrap_dp_first_run.zip").write_bytes(b"PK")
    time.sleep(1.2)
    assert watchdog.recover_dead(store, lambda job: None) == [(job_id, "retried")]
    assert list(folder.iterdir()) == []
    (folder / "camtrap_dp_presumed_dead_run.zip").write_bytes(b"PK")  # it was only slow

    def body(progress):
        assert list(folder.iterdir()) == []
        (folder / "camtrap_dp_second_run.zip").write_bytes(b"PK")
        return tasks.Outcome(result_path=str(folder / "camtrap_dp_second_run.zip"))

    tasks.run_job(job_id, None, tasks.EXPORT_RETRIES, body)
    assert (store.get(job_id).status, store.get(job_id).attempt) == ("completed", 2)
    assert [p.name for p in folder.iterdir()] == ["camtrap_dp_second_run.zip"]
