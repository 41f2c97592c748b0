"""The pure parts of fine-tuning: losses, batches, augmentation, settings, splits, metrics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import torch
from PIL import Image

from deertrack_core.errors import ValidationError
from deertrack_core.reid import trainsets
from deertrack_core.reid.train import (
    Sample,
    TrainSettings,
    augment,
    batch_hard_triplet_loss,
    pk_batches,
    supcon_loss,
)


def _clusters(separation: float, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.nn.functional.normalize(torch.randn(4, 16, generator=g), dim=1)
    labels = torch.arange(4).repeat_interleave(4)
    z = centres[labels] * separation + torch.randn(16, 16, generator=g) * 0.3
    return torch.nn.functional.normalize(z, dim=1), labels


@pytest.mark.parametrize("loss", ["supcon", "triplet"])
def test_losses_are_lower_for_tighter_identities(loss):
    fn = (
        (lambda z, y: supcon_loss(z, y, 0.1))
        if loss == "supcon"
        else (lambda z, y: batch_hard_triplet_loss(z, y, 0.2))
    )
    loose, tight = fn(*_clusters(0.2)), fn(*_clusters(5.0))
    assert float(tight) < float(loose)


def test_triplet_loss_is_zero_when_every_negative_is_far_enough():
    z = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert float(batch_hard_triplet_loss(z, torch.tensor([0, 0, 1, 1]), 0.5)) == 0.0


def test_supcon_gradient_pulls_positives_together():
    z0, labels = _clusters(0.5)
    z = z0.clone().requires_grad_(True)
    supcon_loss(torch.nn.functional.normalize(z, dim=1), labels, 0.1).backward()
    stepped = torch.nn.functional.normalize(z0 - 0.5 * z.grad, dim=1)
    same = labels[:, None] == labels[None, :]
    before = (z0 @ z0.T)[same].mean()
    after = (stepped @ stepped.T)[same].mean()
    assert float(after) > float(before)


def test_pk_batches_hold_p_identities_with_k_crops_each():
    labels = np.array([0] * 5 + [1] * 3 + [2] * 2 + [3] * 1)
    rng = np.random.default_rng(0)
    for batch in pk_batches(labels, p=3, k=2, steps=10, rng=rng):
        ids, counts = np.unique(labels[batch], return_counts=True)
        assert len(ids) == 3 and set(counts) == {2}
        assert 3 not in ids  # a single-crop identity has no positive: never an anchor identity


def test_augment_gives_the_square_input_and_varies():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (90, 160, 3), dtype=np.uint8))
    rng = np.random.default_rng(1)
    a, b = augment(img, 64, rng, True), augment(img, 64, rng, True)
    assert a.size == (64, 64) and a.mode == "RGB"
    assert not np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize(
    ("field", "value"),
    [("epochs", 0), ("trainable_blocks", 6), ("loss", "arcface"), ("input_size", 100),
     ("learning_rate", 0.0), ("views", 0), ("max_crops", 10**7)],
)  # fmt: skip
def test_settings_out_of_range_are_refused_by_name(field, value):
    with pytest.raises(ValidationError, match=field):
        TrainSettings(**{field: value}).validate()


def _samples(times: bool) -> list[Sample]:
    t0 = dt.datetime(2026, 1, 1)
    out = []
    for k in range(8):
        for j in range(3):
            when = t0 + dt.timedelta(days=j * 10 + k) if times else None
            out.append(Sample(f"id{k}", f"id{k}/{j}", lambda: None, f"{k}.{j}", when))
    return out


def test_split_holds_out_whole_identities_and_the_latest_sightings():
    samples = _samples(times=True)
    split = trainsets.split_samples(samples, holdout=0.25, later=0.2, seed=3)
    labels = np.array([s.label for s in samples])
    held = set(labels[split.heldout_identities])
    assert len(held) == 2 and held == set(split.heldout_labels)
    assert not held & set(labels[split.train])  # no held-out individual is trained on
    train_times = max(samples[i].when for i in split.train)
    later_times = min(samples[i].when for i in split.later_queries)
    assert later_times >= train_times  # the later split is later than everything trained on
    assert set(split.train).isdisjoint(split.later_queries)


def test_split_without_times_says_so_and_keeps_all_for_training():
    split = trainsets.split_samples(_samples(times=False), holdout=0.0, later=0.2)
    assert len(split.train) == 24 and len(split.later_queries) == 0
    assert "no capture times" in split.note


def test_split_refuses_to_hold_out_a_single_identity():
    samples = [s for s in _samples(times=False) if s.label in ("id0", "id1", "id2")]
    split = trainsets.split_samples(samples, holdout=0.25, later=0.0)
    assert len(split.heldout_identities) == 0 and "too few identities" in split.note


def test_query_gallery_metrics_on_a_small_example():
    gallery = np.eye(3, dtype=np.float32)
    queries = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.9]], dtype=np.float32)
    m = trainsets.query_gallery_metrics(queries, ["a", "b"], gallery, ["a", "b", "c"])
    assert m.queries == 2 and m.rank1 == 0.5 and m.rank5 == 1.0
    assert m.mean_ap == pytest.approx((1.0 + 0.5) / 2)
    assert m.pairs_same == 2 and m.pairs_different == 4


def test_fit_reports_epochs_loss_and_time_left_and_changes_only_the_head():
    from deertrack_core.reid.train import Trainer

    from .conftest import TINY

    trainer = Trainer(TrainSettings(**TINY))
    shape = trainer.stem(torch.zeros(1, 3, 64, 64)).shape[1:]
    feats = torch.randn(12, 2, *shape, generator=torch.Generator().manual_seed(0)).half()
    stem_before = [p.clone() for p in trainer.stem.parameters()]
    head_before = [p.clone() for p in trainer.head.parameters()]
    messages = []
    losses = trainer.fit(feats, [f"id{i % 3}" for i in range(12)],
                         progress=lambda d, t, m="": messages.append((d, t, m)))  # fmt: skip
    assert len(losses) == TINY["epochs"] and all(np.isfinite(losses))
    done, total, last = messages[-1]
    assert done == total and last.startswith(f"epoch {TINY['epochs']}/{TINY['epochs']}, loss ")
    assert last.endswith("s left")
    assert all(
        torch.equal(a, b) for a, b in zip(stem_before, trainer.stem.parameters(), strict=True)
    )
    assert any(
        not torch.equal(a, b) for a, b in zip(head_before, trainer.head.parameters(), strict=True)
    )
