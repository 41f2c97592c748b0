"""The deer / not-deer classifier on the user's own labels, over real cached embeddings."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.ingest import ingest_folder
from deertrack_core.models import Detection, Embedding, SpeciesClassifier
from deertrack_core.models import Image as Photo
from deertrack_core.species import add_labels
from deertrack_core.species_classifier import (
    InsufficientLabelsError,
    apply_classifier,
    fit_classifier,
)

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def _photo(path, kind: str, seed: int) -> None:
    """Two kinds of "animal" the embedder tells apart: brown blobs and grey stripes."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(60, 90, (120, 160, 3)).astype(np.uint8)
    if kind == "deer":
        arr[30:90, 40:120] = [150 + rng.integers(0, 20), 100, 50]
    else:
        arr[30:90, 40:120] = 128
        arr[30:90:6, 40:120] = 20
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, quality=90)


@pytest.fixture
def labelled(url, tmp_path):
    kinds = ["deer"] * 8 + ["other"] * 8 + ["deer", "other"]  # the last two are unlabelled
    for i, kind in enumerate(kinds):
        _photo(tmp_path / "cams" / "S1" / f"{i:02d}.jpg", kind, i)
    ingest_folder(tmp_path / "cams", url=url)
    with db.session_scope(url) as s:
        ids = []
        for im in s.scalars(select(Photo).order_by(Photo.path)):
            det = Detection(image_id=im.id, x=0.2, y=0.2, w=0.6, h=0.6)
            s.add(det)
            s.flush()
            ids.append(det.id)
        add_labels(s, [{"detection_id": d, "source": "tag", "label": "white-tailed deer" if k == "deer" else "raccoon"}
                       for d, k in list(zip(ids, kinds, strict=True))[:16]])  # fmt: skip
    return ids


def test_fit_reports_cross_validated_accuracy_and_labels_the_rest(url, labelled):
    summary = fit_classifier(url, user="ana", folds=4)
    assert (summary.positives, summary.negatives, summary.cv_folds) == (8, 8, 4)
    assert summary.cv_accuracy >= 0.9
    with db.session_scope(url) as s:
        assert s.scalars(select(SpeciesClassifier)).one().cv_accuracy == summary.cv_accuracy
        assert len(s.scalars(select(Embedding)).all()) == 16  # cached for the labels
    counts = apply_classifier(url)
    assert counts == {"target": 1, "not_target": 1}
    with db.session_scope(url) as s:
        deer, other = (s.get(Detection, i) for i in labelled[16:])
        tagged = s.get(Detection, labelled[0])
    assert (deer.species_source, deer.species) == ("classifier", "white-tailed deer")
    assert (other.species, other.species_score > 0.5) == ("not a target species", True)
    assert tagged.species_source == "tag"  # a better source is never replaced


def test_too_few_labels_says_how_many(url, tmp_path):
    _photo(tmp_path / "cams" / "S1" / "a.jpg", "deer", 0)
    ingest_folder(tmp_path / "cams", url=url)
    with pytest.raises(InsufficientLabelsError, match="0 of the target species and 0 of others"):
        fit_classifier(url, user="ana")
    with pytest.raises(InsufficientLabelsError, match="Fit one first"):
        apply_classifier(url)
