"""Redis going away, for real: a redis-server of the test's own on a free port, killed and
started again, or frozen (SIGSTOP) to play a hung server. The worker says once that Redis is
gone and once that it is back, with no traceback in between; the API answers 503 instead of
hanging; every Redis connection we open carries the configured timeouts."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from deertrack_core.jobstatus import get_store
from jobs import config, tasks
from tests.jobs.conftest import wait_for, worker_log

LOOPBACK = ("127.0.0.1", 50000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server process this test starts, kills and starts again (no disk, no save)."""

    def __init__(self, folder) -> None:
        self.port, self.folder, self.proc = free_port(), folder, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, timeout=30)
        return self

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.kill()


@pytest.fixture
def own_redis(tmp_path, monkeypatch) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path).start()
    monkeypatch.setenv("DEERTRACK_REDIS_URL", server.url)
    monkeypatch.setenv("DEERTRACK_QUEUE_NAME", "outage")
    monkeypatch.setenv("DEERTRACK_JOB_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("DEERTRACK_HUEY_IMMEDIATE", raising=False)
    config.configure()
    yield server
    server.stop()
    monkeypatch.undo()
    config.configure()


def test_worker_says_once_that_redis_is_gone_and_once_that_it_is_back(
    own_redis, start_worker, tmp_path
):
    start_worker()
    wait_for(lambda: "DeerTrack worker:" in worker_log(tmp_path), timeout=60)
    own_redis.kill()
    # Long enough for Huey's old loop to have logged dozens of tracebacks, and for several
    # failed polls of every thread here (backoff 0.5, 1, 2, 4 s).
    time.sleep(8)
    own_redis.start()
    wait_for(lambda: "is back after" in worker_log(tmp_path), timeout=60)
    job_id = tasks.enqueue_selftest(seconds=0.1)
    state = wait_for(lambda: (s := get_store().get(job_id)) and s.finished and s, timeout=60)
    assert state.status == "completed"  # the worker takes jobs again
    log = worker_log(tmp_path)
    gone = [line for line in log.splitlines() if "is unreachable" in line]
    assert len(gone) == 1, log
    assert f"Redis at {own_redis.url} is unreachable (" in gone[0]
    assert "Fix: start Redis" in gone[0] and "DEERTRACK_REDIS_URL" in gone[0]
    assert log.count("is back after") == 1
    assert "Traceback" not in log and "Error reading from queue" not in log


def test_api_answers_503_when_redis_is_gone(own_redis):
    from api.app import create_app

    client = TestClient(create_app(), client=LOOPBACK)
    own_redis.kill()
    response = client.get("/api/jobs")
    assert response.status_code == 503
    assert f"Redis at {own_redis.url}" in response.json()["detail"]["problem"]


def test_api_answers_503_instead_of_hanging_when_redis_hangs(own_redis, monkeypatch):
    from api.app import create_app

    monkeypatch.setenv("DEERTRACK_REDIS_TIMEOUT_S", "1")
    config.configure()
    client = TestClient(create_app(), client=LOOPBACK)
    own_redis.proc.send_signal(signal.SIGSTOP)  # accepts connections, never answers
    answers: dict[str, int] = {}

    def ask():
        answers["jobs"] = client.get("/api/jobs").status_code
        answers["export"] = client.post(
            "/api/exports/csv", json={"report_type": "record_table_csv"}
        ).status_code

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(timeout=120)  # not a timing assertion: a hung request would never return
    own_redis.proc.send_signal(signal.SIGCONT)
    assert not asking.is_alive(), "the API hung on a hung Redis"
    assert answers == {"jobs": 503, "export": 503}


def test_every_redis_connection_has_the_configured_timeouts(own_redis, monkeypatch):
    monkeypatch.setenv("DEERTRACK_REDIS_TIMEOUT_S", "1.5")
    config.configure()
    from deertrack_core.jobstatus.workers import registry

    pools = [
        get_store().client.connection_pool,
        config.huey.storage.pool,
        registry().client.connection_pool,  # the workers' own heartbeats
    ]
    for pool in pools:
        kwargs = pool.connection_kwargs
        assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (1.5, 1.5)
    assert config.huey.storage.read_timeout < 1.5  # an idle blocking read is not a hang
