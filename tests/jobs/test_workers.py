"""Worker heartbeats: a live worker is listed, a stopped or killed one is not."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from deertrack_core.jobstatus.workers import RedisWorkers, SqlWorkers, registry
from tests.conftest import REDIS_TEST_URL
from tests.jobs.conftest import wait_for

T0 = dt.datetime(2026, 1, 1)


@pytest.fixture(params=["sql", "redis"])
def workers(request, engine, db_url, monkeypatch):
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        monkeypatch.setenv("DEERTRACK_QUEUE_NAME", f"{prefix}q")
        return RedisWorkers(REDIS_TEST_URL, stale_s=2)
    return SqlWorkers(db_url, stale_s=2)


def test_a_beating_worker_is_alive_until_it_signs_off(workers):
    workers.beat("host:1", threads=2, started_at=T0)
    (beat,) = workers.alive()
    assert (beat.id, beat.threads, beat.started_at) == ("host:1", 2, T0)
    assert 0 <= beat.age_s() < 2
    workers.gone("host:1")
    assert workers.alive() == []


def test_a_silent_worker_is_not_counted(workers, db_url):
    workers.stale_s = 0.0  # any beat is already too old
    workers.beat("host:2", threads=1, started_at=T0)
    assert workers.alive() == []


def test_a_real_worker_is_listed_and_a_killed_one_drops_out(redis_queue, start_worker):
    reg = registry()
    proc = start_worker()
    beat = wait_for(lambda: [w for w in reg.alive() if w.id.endswith(f":{proc.pid}")], timeout=60)
    assert beat[0].threads == 1
    proc.send_signal(signal.SIGKILL)  # its sidecar sees the worker go and signs it off
    wait_for(lambda: not [w for w in reg.alive() if w.id.endswith(f":{proc.pid}")], timeout=30)
