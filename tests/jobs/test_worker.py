"""The worker entry point (``deertrack worker``) and the queue configuration."""

from __future__ import annotations

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from deertrack_core.errors import ConfigurationError
from jobs import config
from jobs.main import build_consumer


@pytest.fixture
def restore_queue(monkeypatch):
    yield monkeypatch
    monkeypatch.undo()
    config.configure()


def test_redis_url_selects_the_redis_queue(restore_queue):
    restore_queue.setenv("DEERTRACK_REDIS_URL", "redis://127.0.0.1:6379/0")
    restore_queue.setenv("DEERTRACK_QUEUE_NAME", "dt-config-test")
    config.configure()
    assert isinstance(config.huey.storage, RedisStorage)
    assert config.huey.name == "dt-config-test"


def test_without_redis_the_queue_is_a_sqlite_file(restore_queue, tmp_path):
    restore_queue.delenv("DEERTRACK_REDIS_URL", raising=False)
    restore_queue.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "sub" / "huey.db"))
    config.configure()
    assert isinstance(config.huey.storage, SqliteStorage)
    assert (tmp_path / "sub").is_dir()


def test_immediate_setting_uses_memory(restore_queue):
    restore_queue.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    assert config.huey.immediate and isinstance(config.huey.storage, MemoryStorage)


def test_worker_refuses_immediate_mode(restore_queue):
    restore_queue.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    with pytest.raises(ConfigurationError, match="Unset DEERTRACK_HUEY_IMMEDIATE"):
        build_consumer()


def test_worker_needs_at_least_one_thread(restore_queue, tmp_path):
    restore_queue.delenv("DEERTRACK_REDIS_URL", raising=False)
    restore_queue.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "huey.db"))
    with pytest.raises(ConfigurationError, match="--workers must be 1 or more"):
        build_consumer(0)


def test_consumer_has_the_requested_threads(restore_queue, tmp_path):
    restore_queue.delenv("DEERTRACK_REDIS_URL", raising=False)
    restore_queue.setenv("DEERTRACK_HUEY_PATH", str(tmp_path / "huey.db"))
    consumer = build_consumer(3)
    assert consumer.workers == 3
    assert "jobs.tasks.export_task" in config.huey._registry._registry  # noqa: SLF001
