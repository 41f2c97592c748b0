"""Visibility: sharpness on small seeded arrays; exemplars best-visible first, cached."""

from __future__ import annotations

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter
from sqlalchemy import select

from deertrack_core import deer, review, visibility
from deertrack_core.models import Detection


def test_laplacian_variance_is_zero_on_flat_and_grows_with_texture():
    rng = np.random.default_rng(0)
    flat = np.full((32, 32), 120.0)
    noisy = flat + rng.normal(0, 10, flat.shape)
    assert visibility.laplacian_variance(flat) == 0.0
    assert visibility.laplacian_variance(noisy) > 100
    assert visibility.laplacian_variance(np.zeros((2, 5))) == 0.0  # too small to measure


def test_blurring_lowers_sharpness(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    sharp, blurred = tmp_path / "sharp.png", tmp_path / "blurred.png"
    PILImage.fromarray(pixels).save(sharp)
    PILImage.fromarray(pixels).filter(ImageFilter.GaussianBlur(3)).save(blurred)
    box = (0.2, 0.2, 0.5, 0.5)
    assert visibility.sharpness(sharp, box) > 5 * visibility.sharpness(blurred, box)


def test_prior_weighs_confidence_and_box_area():
    small = visibility.prior(0.9, (0, 0, 0.1, 0.1), 1000, 1000)
    large = visibility.prior(0.9, (0, 0, 0.5, 0.5), 1000, 1000)
    unsure = visibility.prior(0.3, (0, 0, 0.5, 0.5), 1000, 1000)
    assert small < unsure < large


def test_an_unreadable_photo_scores_zero(tmp_path):
    out = visibility.compute([(7, tmp_path / "gone.jpg", (0.1, 0.1, 0.2, 0.2), 0.9, 100, 100)])
    assert out == {7: None}  # not cached as a property of the photo


def test_exemplars_come_best_visible_first_and_are_cached(session, archive):
    deer_id = archive.deer[0]
    # A second sighting of deer 0: its photo blurred and its box tiny, so it must come last.
    other = session.get(Detection, archive.reviewed[1])
    other.deer_id, other.w, other.h = deer_id, 0.1, 0.1
    path = archive.root / other.image.path
    PILImage.open(path).filter(ImageFilter.GaussianBlur(4)).save(path, "JPEG")
    session.commit()
    version = select(Detection.id, Detection.version).where(Detection.deer_id == deer_id)
    before = session.execute(version).all()
    shown = deer.exemplars(session, deer_id, 10)
    assert len(shown) > 2 and shown[-1].detection_id == other.id
    assert shown[0].captured_at is not None and shown[0].station
    cached = session.scalars(select(Detection.visibility).where(Detection.deer_id == deer_id)).all()
    assert all(v is not None for v in cached)
    assert session.execute(version).all() == before  # a cache write is not an edit


def test_review_item_shows_frames_in_time_order(session, archive):
    item = review.load_item(session, archive.pending_tracks[0])  # a burst of two frames
    times = [c.captured_at for c in item.crops]
    assert len(times) == 2 and times == sorted(times)
    assert item.lead.detection_id in [c.detection_id for c in item.crops]
