"""The Models page (issue 9): versions with before/after held-out figures, and train, promote
and rollback queued as jobs (a real embedded queue without a worker: the job is the effect)."""

from __future__ import annotations

import pytest

from deertrack_core.jobstatus import get_store
from deertrack_core.reid.versions import record_version
from tests.ui.conftest import run_page
from ui import state as K

BEFORE = {"rank1": 0.18, "rank5": 0.42, "mean_ap": 0.21, "roc_auc": 0.64}
AFTER = {"rank1": 0.31, "rank5": 0.6, "mean_ap": 0.33, "roc_auc": 0.71}


@pytest.fixture
def queue_only(archive, session, monkeypatch):
    from jobs import config

    record_version(
        session, "v20261130-1200", base_model="mobilenet_v2",
        training_set={"identities": 7, "crops": 120},
        train_settings={"epochs": 2},
        metrics={"identity_split": {"before": BEFORE, "after": AFTER}, "train_seconds": 42.0},
        user="tester",
    )  # fmt: skip
    session.commit()
    monkeypatch.delenv("DEERTRACK_REDIS_URL", raising=False)
    monkeypatch.setenv("DEERTRACK_HUEY_IMMEDIATE", "0")
    config.configure()
    yield archive
    monkeypatch.undo()
    config.configure()


def test_versions_show_before_and_after_on_held_out_individuals(queue_only):
    at = run_page("models.py")
    assert not at.exception
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert row["version"] == "v20261130-1200"
    assert (row["rank-1"], row["AUC"]) == ("0.18 → 0.31", "0.64 → 0.71")
    assert row["trained on"] == "120 crops, 7 deer"
    assert row["evaluated on"] == "held-out individuals"


@pytest.mark.parametrize(
    ("click", "key", "kind", "params"),
    [
        ("models_train_go", K.TRAIN_JOB, "train", {"holdout": 0.25}),
        ("models_promote", K.SWITCH_JOB, "promote", {"version": "v20261130-1200"}),
        ("models_rollback", K.SWITCH_JOB, "rollback", {"action": "rollback"}),
    ],
)
def test_each_button_queues_its_job(queue_only, click, key, kind, params):
    at = run_page("models.py")
    at.button(key=click).click().run()
    assert not at.exception, at.exception
    state = get_store().get(at.session_state[key])
    assert (state.kind, state.status) == (kind, "queued")
    assert params.items() <= (state.params or {}).items()


def test_the_page_is_for_admins(queue_only):
    from deertrack_core.auth import Actor

    at = run_page("models.py", deertrack_actor=Actor.user("rita", "reviewer"))
    assert any("for admins" in i.value for i in at.info)
    assert not at.dataframe


def test_models_is_in_the_tune_menu():
    from tests.ui.conftest import ROOT

    assert 'st.Page("screens/models.py", title="Models"' in (ROOT / "app.py").read_text()
