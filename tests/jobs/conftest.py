"""Fixtures for the jobs area: status stores on every backend, a queue of the test's own, and a
real worker process (``deertrack worker``) that a test can start and kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import people  # noqa: F401 - a fixture: one user of each role
from tests.conftest import (
    REDIS_TEST_URL,
    ROOT,
    _backends,
    scratch_database,
)

STORE_KINDS = [*_backends(), "redis"]


@pytest.fixture(scope="module")
def pg_jobs_url(tmp_path_factory) -> Iterator[str]:
    """One PostgreSQL database for a module's store tests (each test empties the jobs table)."""
    from deertrack_core import db
    from deertrack_core.models import Base

    with scratch_database("postgresql", tmp_path_factory.mktemp("jobs"), "dt_jobs") as url:
        Base.metadata.create_all(db.get_engine(url))
        yield url


@pytest.fixture(autouse=True)
def jobs_database(tmp_path, monkeypatch) -> Iterator[str]:
    """A migrated SQLite database as the configured one: producers check the caller's role there
    (no user accounts: the laptop mode's implicit admin). Tests that use ``engine`` replace it."""
    from deertrack_core import db
    from deertrack_core.models import Base

    url = f"sqlite:///{tmp_path / 'configured.db'}"
    Base.metadata.create_all(db.get_engine(url))
    monkeypatch.setenv("DEERTRACK_DATABASE_URL", url)
    yield url
    db.dispose(url)


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path) -> Iterator:
    """A job-status store on SQLite, PostgreSQL (empty jobs table) or Redis (own prefix)."""
    from sqlalchemy import delete

    from deertrack_core import db
    from deertrack_core.jobstatus.redis import RedisJobStatusStore
    from deertrack_core.jobstatus.sql import SqlJobStatusStore
    from deertrack_core.models import Base, Job

    kind = request.param
    if kind == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        yield RedisJobStatusStore(REDIS_TEST_URL, prefix=prefix)
        return
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
        Base.metadata.create_all(db.get_engine(url))
        yield SqlJobStatusStore(url)
        db.dispose(url)
        return
    url = request.getfixturevalue("pg_jobs_url")
    with db.session_scope(url) as session:
        session.execute(delete(Job))
    yield SqlJobStatusStore(url)


def _point_at_redis(monkeypatch: pytest.MonkeyPatch, name: str, exports: Path) -> None:
    monkeypatch.setenv("DEERTRACK_REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("DEERTRACK_QUEUE_NAME", name)
    monkeypatch.setenv("DEERTRACK_JOB_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("DEERTRACK_JOB_STALE_S", "5")
    monkeypatch.setenv("DEERTRACK_EXPORT_DIR", str(exports))
    monkeypatch.delenv("DEERTRACK_HUEY_IMMEDIATE", raising=False)


def _drop_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_queue(redis_prefix, monkeypatch, tmp_path) -> Iterator[str]:
    """Point the job queue and the status store at Redis under this test's own names."""
    from jobs import config

    name = f"{redis_prefix}q"
    _point_at_redis(monkeypatch, name, tmp_path / "exports")
    config.configure()
    yield name
    config.huey.storage.flush_all()
    monkeypatch.undo()
    config.configure()


@pytest.fixture(scope="module")
def shared_worker(tmp_path_factory) -> Iterator[str]:
    """One queue and one worker process for a module's tests that need no database."""
    from jobs import config

    try:
        _drop_redis_keys("dt-never-used")  # is Redis up?
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis is not reachable ({exc})")
    name = f"dttest:{uuid.uuid4().hex[:10]}:q"
    logs = tmp_path_factory.mktemp("shared-worker")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _point_at_redis(monkeypatch, name, logs / "exports")
        config.configure()
        proc = _spawn(logs / "worker.log")
        yield name
        config.huey.storage.flush_all()
        _stop(proc)
    config.configure()
    _drop_redis_keys(name)


@pytest.fixture
def on_shared_worker(shared_worker, monkeypatch) -> str:
    """Enqueue onto the module's shared worker (the environment is the shared one)."""
    from jobs import config

    config.configure()
    return shared_worker


def _spawn(log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 - the process owns it
    return subprocess.Popen(
        [sys.executable, "-m", "deertrack_cli.main", "worker"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start ``deertrack worker`` as a real process with the test's environment."""
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        proc = _spawn(tmp_path / f"worker{len(procs)}.log")
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        _stop(proc)


def wait_for(check: Callable[[], object], timeout: float = 60.0, every: float = 0.1):
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def worker_log(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(tmp_path.glob("worker*.log")))
