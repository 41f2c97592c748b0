"""Train for a step or two on small real crops; the version is stored, evaluated on held-out
identities, promoted (re-embedded, re-matched) and rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from deertrack_core import db
from deertrack_core.errors import ModelUnavailableError, NotFoundError, ValidationError
from deertrack_core.models import Detection, Embedding, ModelVersion, ReidSetting
from deertrack_core.reid import promote, versions
from deertrack_core.reid.embedders import get_embedder
from deertrack_core.reid.finetune import train_version
from deertrack_core.reid.train import TrainSettings

from .conftest import TINY, photo_archive

BASE = "mobilenetv2-imagenet"


def _count(session, model: str) -> int:
    return session.scalar(select(func.count()).where(Embedding.model == model))


def test_train_promote_rollback(engine, session, db_url, models_dir, identity_photos):
    archive = photo_archive(session, identity_photos)
    # A first pass with the base model: a recorded threshold and machine decisions to re-make.
    promote.match_pending(db_url, threshold=0.5)
    with db.session_scope(db_url) as s:
        from deertrack_core.reid.active import record as apply_threshold

        apply_threshold(s, 0.5, model=BASE, goal="manual", evidence={}, user="tester")
    trained = train_version(
        db_url, user="tester", train_settings=TrainSettings(**TINY), holdout=0.4, later=0.2
    )
    # stored: checkpoint inside the models folder, record with training set and metrics
    assert (models_dir / f"{trained.name}.pt").is_file()
    row = session.scalars(select(ModelVersion)).one()
    assert row.name == trained.name and row.file == f"{trained.name}.pt"
    held = {h["label"] for h in row.training_set["heldout_individuals"]}
    trained_on = {i["label"] for i in row.training_set["individuals"]}
    assert len(held) == 2 and not held & trained_on
    ident = row.metrics["identity_split"]
    assert (
        ident["before"]["queries"] > 0 and ident["after"]["queries"] == ident["before"]["queries"]
    )
    for key in ("rank1", "rank5", "mean_ap", "roc_auc"):
        assert 0.0 <= ident["after"][key] <= 1.0
    assert len(row.metrics["epoch_losses"]) == TINY["epochs"]
    # the registry loads the stored version by name, and it embeds differently from the base
    emb = get_embedder(trained.model, "cpu")
    assert emb.name == f"version:{trained.name}" and emb.input_size == TINY["input_size"]

    summary = promote.promote(db_url, "latest", user="tester")
    session.expire_all()
    animal = session.scalar(select(func.count(Detection.id)))
    assert summary.model == trained.model and summary.previous_model == BASE
    assert _count(session, trained.model) == animal  # every detection re-embedded
    assert _count(session, BASE) == animal  # the base model's vectors stay cached
    assert summary.match.detections == len(archive["pending"])  # machine decisions re-made
    active = session.scalars(select(ReidSetting).order_by(ReidSetting.id.desc())).first()
    assert active.model == trained.model and active.evidence["promoted_version"] == trained.name
    # its threshold was calibrated only on reviewed detections it was not trained on
    trained_ids = row.training_set["trained_detections"]
    assert len(trained_ids) == row.training_set["crops"]
    assert active.evidence["trained_left_out"] == len(trained_ids)
    assert "not trained on" in summary.threshold_note
    assert [v.active for v in versions.list_versions(session)] == [True]

    back = promote.rollback(db_url, user="tester")
    session.expire_all()
    active = session.scalars(select(ReidSetting).order_by(ReidSetting.id.desc())).first()
    assert (active.model, active.threshold) == (BASE, 0.5)
    assert active.evidence["rolled_back"] == trained.model
    assert back.match.detections == len(archive["pending"])
    assert _count(session, trained.model) == animal  # nothing thrown away


def test_rollback_with_nothing_before_says_so(engine, db_url):
    with pytest.raises(NotFoundError, match="nothing to roll back"):
        promote.rollback(db_url, user="tester")


@pytest.mark.parametrize("name", ["../evil", "/etc/passwd", "a/b", "x" * 100, "Bad Name", ""])
def test_version_names_never_leave_the_models_folder(models_dir, name):
    with pytest.raises(ValidationError, match="version"):
        versions.checkpoint_path(name)


def test_a_version_without_its_file_fails_with_the_fix(models_dir):
    with pytest.raises(ModelUnavailableError, match="DEERTRACK_MODELS_DIR"):
        get_embedder("version:mnv2-missing", "cpu")


def test_a_foreign_checkpoint_is_refused(models_dir):
    import torch

    models_dir.mkdir()
    torch.save({"state_dict": {}}, models_dir / "foreign.pt")
    with pytest.raises(ModelUnavailableError, match="not a DeerTrack"):
        get_embedder("version:foreign", "cpu")
