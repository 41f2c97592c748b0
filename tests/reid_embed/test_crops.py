from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from deertrack_core.errors import IngestError, NotFoundError
from deertrack_core.reid.crops import (
    box_in_crop,
    crop_box,
    draft_scale,
    expand_box,
    full_frame,
    prefetch,
)

from .conftest import write_jpeg


def _marked_jpeg(path, orientation):
    """A raw frame with a red square near its top-left corner, tagged with ``orientation``."""
    img = Image.new("RGB", (400, 300), (20, 60, 20))
    img.paste((250, 10, 10), (20, 20, 100, 80))
    exif = Image.Exif()
    exif[0x0112] = orientation
    img.save(path, quality=95, exif=exif)
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
def test_crop_follows_exif_orientation(tmp_path, orientation):
    path = _marked_jpeg(tmp_path / "o.jpg", orientation)
    upright = ImageOps.exif_transpose(Image.open(path))
    arr = np.asarray(upright)
    ys, xs = np.nonzero((arr[..., 0] > 200) & (arr[..., 1] < 80))
    W, H = upright.size
    box = (xs.min() / W, ys.min() / H, (xs.max() + 1 - xs.min()) / W, (ys.max() + 1 - ys.min()) / H)
    crop = np.asarray(crop_box(path, box, margin=0.0, min_side=224)).astype(int)
    assert crop.shape[:2] == (ys.max() + 1 - ys.min(), xs.max() + 1 - xs.min())
    assert crop[..., 0].mean() > 200 and crop[..., 1].mean() < 60


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_reduced_scale_crop_follows_exif_orientation(tmp_path, orientation):
    path = _marked_jpeg(tmp_path / "o.jpg", orientation)
    upright = ImageOps.exif_transpose(Image.open(path))
    arr = np.asarray(upright)
    ys, xs = np.nonzero((arr[..., 0] > 200) & (arr[..., 1] < 80))
    W, H = upright.size
    box = (xs.min() / W, ys.min() / H, (xs.max() + 1 - xs.min()) / W, (ys.max() + 1 - ys.min()) / H)
    crop = crop_box(path, box, margin=0.0, min_side=15)  # decoded at 1/4 scale
    assert max(crop.size) <= 21
    rgb = np.asarray(crop).astype(int)
    assert rgb[..., 0].mean() > 180 and rgb[..., 1].mean() < 80


def test_margin_grows_the_box_and_clips_at_the_edges():
    assert expand_box((0.4, 0.4, 0.2, 0.2), 0.1) == pytest.approx((0.38, 0.38, 0.62, 0.62))
    assert expand_box((0.0, 0.9, 0.5, 0.1), 0.5) == pytest.approx((0.0, 0.85, 0.75, 1.0))


def test_box_in_crop_is_where_the_box_lies_in_its_margin_crop():
    # margin 0.5 on a 0.2 box: 0.1 on each side, so the box is the middle half of the crop
    assert box_in_crop((0.4, 0.4, 0.2, 0.2), 0.5) == pytest.approx((0.25, 0.25, 0.75, 0.75))
    # clipped at the left edge: no margin there, the box starts at the crop's left
    assert box_in_crop((0.0, 0.4, 0.2, 0.2), 0.5) == pytest.approx((0.0, 0.25, 2 / 3, 0.75))


def test_box_in_crop_matches_the_pixels_of_crop_box(tmp_path):
    path = _marked_jpeg(tmp_path / "o.jpg", 1)  # red square at x 20-100, y 20-80 of 400x300
    box = (20 / 400, 20 / 300, 80 / 400, 60 / 300)
    crop = np.asarray(crop_box(path, box, margin=0.25, min_side=10)).astype(int)
    left, top, right, bottom = box_in_crop(box, 0.25)
    h, w = crop.shape[:2]
    inside = crop[int(top * h) + 2 : int(bottom * h) - 2, int(left * w) + 2 : int(right * w) - 2]
    assert inside[..., 0].mean() > 200 and inside[..., 1].mean() < 60
    assert crop[: int(top * h) - 2, :, 0].mean() < 80  # above the box: the green background


def test_box_without_area_is_refused():
    with pytest.raises(ValueError, match="no area"):
        expand_box((0.1, 0.1, 0.0, 0.2), 0.1)


@pytest.mark.parametrize(
    ("side", "scale"), [(100, 1), (224, 1), (447, 1), (448, 2), (900, 4), (5000, 8)]
)
def test_draft_scale_keeps_the_crop_at_least_model_size(side, scale):
    assert draft_scale(side, side * 2, 224) == scale


def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", size=(3840, 2160))
    crop = crop_box(path, (0.25, 0.25, 0.5, 0.5), margin=0.0, min_side=224)
    # 1920×1080 crop at full size; 1/4 scale keeps the short side (270) ≥ 224.
    assert crop.size == (480, 270)


def test_small_box_keeps_full_resolution(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", size=(1920, 1080))
    crop = crop_box(path, (0.5, 0.5, 0.1, 0.1), margin=0.0, min_side=224)
    assert crop.size == (192, 108)


def test_png_crops_too(tmp_path):
    path = tmp_path / "a.png"
    Image.new("L", (200, 100), 128).save(path)
    crop = crop_box(path, (0.0, 0.0, 0.5, 1.0), margin=0.0)
    assert crop.mode == "RGB" and crop.size == (100, 100)


def test_full_frame_is_upright(tmp_path):
    path = write_jpeg(tmp_path / "r.jpg", size=(300, 200), orientation=6)
    assert full_frame(path).size == (200, 300)


def test_missing_photo_names_the_fix(tmp_path):
    with pytest.raises(NotFoundError, match="DEERTRACK_DATA_ROOT"):
        crop_box(tmp_path / "nope.jpg", (0.1, 0.1, 0.2, 0.2))


def test_unreadable_photo_is_an_ingest_error(tmp_path):
    path = tmp_path / "bad.jpg"
    path.write_bytes(b"not a jpeg at all")
    with pytest.raises(IngestError, match="cannot be read"):
        crop_box(path, (0.1, 0.1, 0.2, 0.2))


def test_prefetch_keeps_order_and_hands_back_errors():
    def load(i):
        if i == 3:
            raise RuntimeError("boom")
        return i * i

    out = list(prefetch(range(7), load, ahead=2))
    assert [i for i, _ in out] == list(range(7))
    assert isinstance(out[3][1], RuntimeError)
    assert [v for i, v in out if i != 3] == [0, 1, 4, 16, 25, 36]
