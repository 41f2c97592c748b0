"""The heartbeat sidecar: a separate process beats for the jobs its worker runs."""

from __future__ import annotations

import time

from deertrack_core.jobstatus import get_store
from jobs import heartbeat
from tests.jobs.conftest import wait_for


def test_sidecar_beats_for_a_begun_job(redis_queue):
    store = get_store()
    job_id = store.create("selftest").id
    store.start(job_id)
    first = store.get(job_id).heartbeat_at
    sidecar = heartbeat.HeartbeatSidecar(0.05).start()
    try:
        sidecar.begin(job_id)
        wait_for(lambda: store.get(job_id).heartbeat_at > first, timeout=30)
    finally:
        sidecar.stop()
    assert not sidecar.alive()


def test_sidecar_stops_beating_for_an_ended_job(redis_queue):
    store = get_store()
    job_id = store.create("selftest").id
    store.start(job_id)
    sidecar = heartbeat.HeartbeatSidecar(0.05).start()
    try:
        sidecar.begin(job_id)
        sidecar.end(job_id)
        time.sleep(0.3)  # let it drain both messages and pass a few beats
        settled = store.get(job_id).heartbeat_at
        time.sleep(0.3)
        assert store.get(job_id).heartbeat_at == settled
    finally:
        sidecar.stop()


def test_without_a_sidecar_a_thread_beats(redis_queue, monkeypatch):
    monkeypatch.setattr(heartbeat, "sidecar", None)
    store = get_store()
    job_id = store.create("selftest").id
    store.start(job_id)
    first = store.get(job_id).heartbeat_at
    with heartbeat.beating(store, job_id, 0.05) as beat:
        assert beat.thread is not None
        wait_for(lambda: store.get(job_id).heartbeat_at > first, timeout=30)
