from __future__ import annotations

import numpy as np
import pytest

from deertrack_cli.main import main
from deertrack_core.errors import ConfigurationError
from deertrack_core.reid.evaluate import evaluate_folder, list_photos, reid_metrics

from .conftest import write_jpeg


def _unit(rows):
    m = np.asarray(rows, dtype=np.float64)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_perfect_embeddings_score_one():
    e = _unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.1], [0, 0, 1], [0.1, 0, 1]])
    m = reid_metrics(e, list("aabbcc"), ["a1", "a2", "b1", "b2", "c1", "c2"])
    assert (m.rank1, m.rank5, m.mean_ap, m.roc_auc) == (1.0, 1.0, 1.0, 1.0)


def test_same_sighting_partner_is_not_a_match():
    # a's two photos of sighting 1 are identical; its only valid match is the other sighting.
    e = _unit([[1, 0], [1, 0], [0, 1], [0.9, 0.1], [1, 0.01]])
    m = reid_metrics(e, ["a", "a", "a", "b", "b"], ["a/1", "a/1", "a/2", "b/1", "b/2"])
    # queries a/1 rank b's photos above a/2: rank-1 misses for them.
    assert m.rank1 < 1.0
    # same-sighting pair (0, 1) is excluded: 10 pairs - 1 = 9.
    assert m.pairs_same + m.pairs_different == 9


def test_average_precision_of_a_known_ranking():
    # Query 0: gallery ranked [b(0.9), a(0.8), b(0.1)] -> one positive at rank 2 -> AP 0.5.
    e = np.array([[1.0, 0.0], [0.8, 0.6], [0.9, np.sqrt(1 - 0.81)], [0.1, np.sqrt(0.99)]])
    m = reid_metrics(e, ["a", "a", "b", "b"], ["1", "2", "3", "4"])
    assert m.queries == 4 and 0.0 < m.mean_ap < 1.0


def test_queries_without_a_positive_are_skipped():
    e = _unit([[1, 0], [0, 1], [1, 1]])
    m = reid_metrics(e, ["a", "a", "b"], ["a/1", "a/1", "b/1"])
    assert m.queries == 0 and np.isnan(m.rank1)


@pytest.fixture
def identity_folder(tmp_path):
    root = tmp_path / "ids"
    for ident, seed in (("deer1", 1), ("deer2", 50), ("deer3", 99)):
        for n in (1, 2):
            for side in ("left", "right"):
                write_jpeg(root / ident / f"{n}_{side}photo.jpg", size=(320, 240), seed=seed + n)
    return root


def test_list_photos_groups_sightings(identity_folder):
    photos = list_photos(identity_folder)
    assert len(photos) == 12
    assert {p.sighting for p in photos if p.identity == "deer1"} == {"deer1/1", "deer1/2"}


def test_one_identity_is_not_enough(tmp_path):
    write_jpeg(tmp_path / "only" / "1_a.jpg")
    with pytest.raises(ConfigurationError, match="fewer than two identities"):
        list_photos(tmp_path)


def test_evaluate_folder_on_full_frames_without_detector(identity_folder):
    report = evaluate_folder(identity_folder, embedder="mobilenetv2-imagenet", crop="detector")
    assert report.crop == "full" and "no detector" in report.crop_note
    assert report.images == 12 and report.identities == 3 and report.metrics.queries == 12


def test_cli_prints_the_metrics_last(identity_folder, capsys):
    assert main(["evaluate", str(identity_folder), "--crop", "full"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split(":")[0] for ln in lines[-4:]] == ["rank-1", "rank-5", "mAP", "ROC AUC"]
    assert any(ln.startswith("on: full frames") for ln in lines)


@pytest.mark.slow
def test_nyala_subset_with_the_benchmark_detector(shared_data, shared):
    pytest.importorskip("onnxruntime")
    model = shared / "models" / "yolox_nano_coco.onnx"
    if not model.is_file():
        pytest.skip("the benchmark detector model is absent")
    report = evaluate_folder(
        shared_data / "nyala-dev",
        embedder="mobilenetv2-imagenet",
        detector_path=model,
        max_identities=4,
    )
    assert report.crop == "detector" and report.identities == 4
    assert report.metrics.queries == report.images
    assert 0.0 <= report.metrics.roc_auc <= 1.0
    assert not np.isnan(report.metrics.mean_ap)
