"""Repeat-detection elimination: the clustering (pure), and groups found, confirmed and unflagged
in the database (both backends)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from deertrack_core import db
from deertrack_core.detect.repeats import (
    confirm_repeat,
    find_clusters,
    find_repeats,
    list_repeats,
    unflag_repeat,
)
from deertrack_core.errors import NotFoundError, ValidationError
from deertrack_core.models import Correction, Deer, Deployment, Detection, Image, MatchStatus
from deertrack_core.reid.matching import pending_detections

T0 = dt.datetime(2024, 10, 3, 6, 15, 0)


def scene(n_photos: int = 14, seed: int = 0):
    """A stump on every photo (jittering by a pixel or two) and one moving animal per photo."""
    rng = np.random.default_rng(seed)
    boxes, photos = [], []
    for p in range(n_photos):
        boxes.append([0.30 + rng.normal(0, 0.002), 0.60 + rng.normal(0, 0.002), 0.10, 0.12])
        photos.append(p)
        boxes.append([rng.uniform(0, 0.8), rng.uniform(0, 0.5), 0.15, 0.2])
        photos.append(p)
    return np.array(boxes), np.array(photos)


def test_the_stump_is_one_cluster_and_the_animals_none():
    boxes, photos = scene()
    (cluster,) = find_clusters(boxes, photos, min_photos=10)
    assert sorted(cluster.tolist()) == list(range(0, 28, 2))


def test_too_few_photos_is_no_cluster():
    boxes, photos = scene(n_photos=6)
    assert find_clusters(boxes, photos, min_photos=10) == []


def test_many_boxes_on_one_photo_do_not_make_a_repeat():
    boxes = np.tile([[0.3, 0.6, 0.1, 0.12]], (20, 1))
    assert find_clusters(boxes, np.zeros(20, dtype=int), min_photos=10) == []


@pytest.fixture
def stored(engine, db_url):
    boxes, photos = scene()
    with db.session_scope(db_url) as s:
        dep = Deployment(station="S1")
        s.add(dep)
        s.flush()
        deer = Deer(name="Deer 1")
        s.add(deer)
        s.flush()
        images = []
        for p in range(photos.max() + 1):
            im = Image(deployment_id=dep.id, path=f"S1/{p}.jpg", sha256=f"{p:064d}",
                       captured_at=T0 + dt.timedelta(hours=p))  # fmt: skip
            s.add(im)
            images.append(im)
        s.flush()
        for i, (box, p) in enumerate(zip(boxes, photos, strict=True)):
            machine = i == 0  # the matcher made a "deer" of the stump once
            s.add(Detection(image_id=images[p].id, x=float(box[0]), y=float(box[1]), w=float(box[2]), h=float(box[3]),
                            deer_id=deer.id if machine else None,
                            match_status=MatchStatus.NEW.value if machine else MatchStatus.PENDING.value))  # fmt: skip
    return db_url


def test_found_confirmed_and_kept_out_of_matching(stored):
    url = stored
    with db.session_scope(url) as s:
        (gid,) = find_repeats(s, min_photos=10)
    with db.session_scope(url) as s:
        (view,) = list_repeats(s)
        assert (view.id, view.photos, view.detections, view.status) == (gid, 14, 14, "suspected")
        assert len(pending_detections(s)) == 27  # suspected only: still matched
        assert find_repeats(s, min_photos=10) == [gid]  # found again: the same group
    with db.session_scope(url) as s:
        withdrawn = confirm_repeat(s, gid, user="ana")
    assert withdrawn == 1
    with db.session_scope(url) as s:
        assert len(pending_detections(s)) == 14  # the animals only
        assert s.scalars(select(Deer)).all() == []  # made for the stump alone: gone
        audit = s.scalars(select(Correction).where(Correction.entity == "repeat_group")).one()
        assert (audit.old_value, audit.new_value, audit.changed_by) == (
            "suspected",
            "confirmed",
            "ana",
        )
        assert [v.status for v in list_repeats(s, "confirmed")] == ["confirmed"]
    with db.session_scope(url) as s:
        unflag_repeat(s, gid, user="ana")
        assert len(pending_detections(s)) == 28


def test_bad_requests(stored):
    with db.session_scope(stored) as s:
        with pytest.raises(NotFoundError, match="no repeat group 99"):
            confirm_repeat(s, 99, user="ana")
        with pytest.raises(ValidationError, match="status"):
            list_repeats(s, "maybe")
        with pytest.raises(ValidationError, match="min_photos"):
            find_repeats(s, min_photos=1)
