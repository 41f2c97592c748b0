from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from deertrack_core.models import Embedding
from deertrack_core.reid.cache import ensure_embeddings, load_embeddings, mean_embedding
from deertrack_core.reid.embedders import get_embedder

from .conftest import add_detections


class Counting:
    """The real MobileNetV2 embedder, counting how many crops it was asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.input_size = inner, inner.name, inner.dim, 224
        self.embedded = 0

    def embed(self, images):
        self.embedded += len(images)
        return self.inner.embed(images)


@pytest.fixture
def counting():
    return Counting(get_embedder("mobilenetv2-imagenet", device="cpu"))


def test_embeddings_are_stored_once_per_detection_and_model(session, data_root, counting):
    ids = add_detections(session, data_root, 3)
    got = ensure_embeddings(session, ids, counting, batch_size=2)
    session.commit()
    assert sorted(got) == sorted(ids) and counting.embedded == 3
    assert session.scalar(select(func.count()).select_from(Embedding)) == 3


def test_second_call_embeds_nothing(session, data_root, counting):
    ids = add_detections(session, data_root, 3)
    first = ensure_embeddings(session, ids, counting)
    session.commit()
    counting.embedded = 0
    second = ensure_embeddings(session, ids, counting)
    assert counting.embedded == 0
    assert all(np.array_equal(first[i], second[i]) for i in ids)


def test_only_missing_detections_are_embedded(session, data_root, counting):
    ids = add_detections(session, data_root, 4)
    ensure_embeddings(session, ids[:2], counting)
    session.commit()
    counting.embedded = 0
    ensure_embeddings(session, ids, counting)
    assert counting.embedded == 2


def test_load_embeddings_returns_ids_and_unit_rows(session, data_root, counting):
    ids = add_detections(session, data_root, 2, boxes_per_image=2)
    ensure_embeddings(session, ids, counting)
    session.commit()
    got_ids, matrix = load_embeddings(session, counting.name)
    assert got_ids.tolist() == sorted(ids) and matrix.shape == (4, 1280)
    assert matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    sub_ids, sub = load_embeddings(session, counting.name, ids[1:3])
    assert sub_ids.tolist() == sorted(ids[1:3]) and np.array_equal(sub, matrix[1:3])


def test_load_embeddings_of_an_unknown_model_is_empty(session):
    ids, matrix = load_embeddings(session, "nothing-here")
    assert ids.shape == (0,) and matrix.shape == (0, 0)


def test_unreadable_photo_is_left_out_not_fatal(session, data_root, counting):
    ids = add_detections(session, data_root, 2)
    (data_root / "img_001.jpg").unlink()
    got = ensure_embeddings(session, ids, counting)
    assert list(got) == [ids[0]]


def test_progress_reaches_the_total(session, data_root, counting):
    ids = add_detections(session, data_root, 3)
    calls = []
    ensure_embeddings(
        session, ids, counting, batch_size=2, progress=lambda d, t, m="": calls.append((d, t))
    )
    assert calls[-1] == (3, 3)


def test_mean_embedding_is_unit_length():
    v = mean_embedding(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    assert np.allclose(v, [2**-0.5, 2**-0.5])
