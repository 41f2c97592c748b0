"""The train and promote jobs, run in process (DEERTRACK_HUEY_IMMEDIATE=1)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.jobstatus import get_store
from deertrack_core.models import ModelVersion, ReidSetting
from jobs import config, tasks

from .conftest import TINY, photo_archive


@pytest.fixture
def immediate(engine, monkeypatch):
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "1")
    config.configure()
    yield
    monkeypatch.undo()
    config.configure()


def test_train_then_promote_jobs(immediate, session, models_dir, identity_photos):
    photo_archive(session, identity_photos)
    job_id = tasks.enqueue_train(TINY, holdout=0.4, user="ann")
    state = get_store().get(job_id)
    assert state.status == "completed", state.message
    name = state.result["name"]
    assert state.message == f"stored model version {name}"
    assert session.scalars(select(ModelVersion.name)).one() == name
    job_id = tasks.enqueue_promote("latest", user="ann")
    state = get_store().get(job_id)
    assert state.status == "completed", state.message
    assert state.result["model"] == f"version:{name}"
    active = session.scalars(select(ReidSetting).order_by(ReidSetting.id.desc())).first()
    assert active.model == f"version:{name}" and active.set_by == "ann"
    state = get_store().get(tasks.enqueue_rollback(user="ann"))
    assert state.status == "completed" and state.result["model"] == "mobilenetv2-imagenet"


def test_invalid_training_requests_queue_nothing(immediate):
    before = len(get_store().list_recent())
    with pytest.raises(ValidationError, match="epochs"):
        tasks.enqueue_train({"epochs": 0})
    with pytest.raises(ValidationError, match="settings"):
        tasks.enqueue_train({"nonsense": 1})
    with pytest.raises(ValidationError, match="folder"):
        tasks.enqueue_train(folder="/does/not/exist")
    with pytest.raises(NotFoundError, match="No model version"):
        tasks.enqueue_promote("latest")
    assert len(get_store().list_recent()) == before
