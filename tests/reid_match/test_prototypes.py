import numpy as np
import pytest

from deertrack_core.reid import prototypes as p


def _data(seed=0, n=40, k=5, dim=16):
    rng = np.random.default_rng(seed)
    labels = rng.integers(10, 10 + k, size=n)
    emb = rng.normal(size=(n, dim)).astype(np.float32)
    return emb, labels


def test_normalise_gives_unit_rows_and_keeps_zero_rows():
    m = np.array([[3.0, 4.0], [0.0, 0.0]])
    out = p.normalise(m)
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32


def test_mean_prototype_is_renormalised_mean_of_unit_exemplars():
    emb, labels = _data()
    ids, protos = p.prototypes(emb, labels)
    unit = p.normalise(emb)
    for i, deer in enumerate(ids):
        expected = unit[labels == deer].mean(axis=0)
        assert np.allclose(protos[i], expected / np.linalg.norm(expected), atol=1e-6)


def test_similarity_is_one_matrix_of_cosines():
    emb, labels = _data()
    ids, protos = p.prototypes(emb, labels)
    sims = p.similarity(emb[:3], protos)
    assert sims.shape == (3, len(ids))
    a = emb[1] / np.linalg.norm(emb[1])
    assert np.isclose(sims[1, 2], a @ protos[2], atol=1e-6)


def test_leave_one_out_closed_form_equals_recomputing_without_the_detection():
    emb, labels = _data(seed=3)
    ids, scores = p.leave_one_out_scores(emb, labels)
    unit = p.normalise(emb)
    for i in range(len(labels)):
        others = (labels == labels[i]) & (np.arange(len(labels)) != i)
        col = int(np.searchsorted(ids, labels[i]))
        if not others.any():
            assert np.isnan(scores[i, col])
            continue
        proto = unit[others].mean(axis=0)
        assert np.isclose(scores[i, col], unit[i] @ (proto / np.linalg.norm(proto)), atol=1e-5)


def test_leave_one_out_leaves_other_deer_untouched():
    emb, labels = _data(seed=4)
    ids, loo = p.leave_one_out_scores(emb, labels)
    _, protos = p.prototypes(emb, labels)
    full = p.similarity(emb, protos)
    own = labels[:, None] == ids[None, :]
    assert np.allclose(loo[~own], full[~own], atol=1e-6)


def test_single_exemplar_deer_has_no_leave_one_out_score():
    emb = np.eye(3, dtype=np.float32)
    ids, scores = p.leave_one_out_scores(emb, np.array([1, 2, 2]))
    assert np.isnan(scores[0, 0])
    assert np.isclose(scores[1, 1], 0.0)


def test_max_over_exemplars_takes_best_exemplar_per_deer():
    ex = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    ids, best = p.max_similarity(np.array([[0.6, 0.8, 0.0]]), ex, np.array([7, 7, 9]))
    assert ids.tolist() == [7, 9]
    assert np.allclose(best, [[0.8, 0.0]])


def test_max_leave_one_out_excludes_only_the_detection_itself():
    emb, labels = _data(seed=5)
    ids, loo = p.leave_one_out_scores(emb, labels, kind="max")
    unit = p.normalise(emb)
    i = 0
    others = (labels == labels[i]) & (np.arange(len(labels)) != i)
    col = int(np.searchsorted(ids, labels[i]))
    assert np.isclose(loo[i, col], (unit[others] @ unit[i]).max(), atol=1e-6)


def test_top_k_orders_best_first_and_puts_nan_last():
    s = np.array([[0.1, np.nan, 0.9, 0.5, 0.7]], dtype=np.float32)
    top = p.top_k(s, 3)
    assert top.indices.tolist() == [[2, 4, 3]]
    assert np.allclose(top.scores, [[0.9, 0.7, 0.5]])
    assert p.top_k(s, 10).indices[0, -1] == 1


def test_top_k_of_empty_gallery_is_empty():
    assert p.top_k(np.zeros((2, 0)), 5).indices.shape == (2, 0)


def test_gallery_scores_match_prototypes_and_grow():
    emb, labels = _data(seed=6)
    g = p.Gallery.from_exemplars(emb, labels)
    ids, protos = p.prototypes(emb, labels)
    assert g.deer_ids == ids.tolist()
    assert np.allclose(g.scores(emb[:4]), p.similarity(emb[:4], protos), atol=1e-6)
    g.add(99, emb[:1])
    assert g.scores(emb[:1], first=len(ids)).shape == (1, 1)
    assert np.isclose(g.scores(emb[:1])[0, -1], 1.0)


def test_max_gallery_agrees_with_max_similarity():
    emb, labels = _data(seed=7)
    g = p.Gallery.from_exemplars(emb, labels, kind="max")
    _, best = p.max_similarity(emb[:5], emb, labels)
    assert np.allclose(g.scores(emb[:5]), best, atol=1e-6)


def test_unknown_prototype_kind_is_refused():
    with pytest.raises(ValueError, match="prototype kind must be one of"):
        p.Gallery("median")


def test_max_gallery_scores_only_new_columns_on_request():
    emb, labels = _data(seed=8)
    g = p.Gallery.from_exemplars(emb, labels, kind="max")
    known = len(g)
    g.add(3, emb[:2])  # an existing deer gains exemplars
    g.add(99, emb[2:4])  # a new deer
    full = g.scores(emb[:3])
    assert np.allclose(g.scores(emb[:3], first=known), full[:, known:], atol=1e-6)
    assert np.isclose(full[2, -1], 1.0, atol=1e-6)
