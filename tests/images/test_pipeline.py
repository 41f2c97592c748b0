"""One decode per photo: scales, crops, order, failures (real JPEG files)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deertrack_core.errors import NotFoundError
from deertrack_core.images.decode import decode, scale_for
from deertrack_core.images.pipeline import crops_for_embedding, decoded, group_by_photo
from deertrack_core.reid.crops import crop_box


def jpeg(path, size=(1600, 1200), orientation=None, seed=0):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (size[1] // 40, size[0] // 40, 3), dtype=np.uint8)
    im = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
    kwargs = {"quality": 90}
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **kwargs)
    return path


@pytest.mark.parametrize(
    ("frame", "boxes", "expected"),
    [
        ((640, 640), [], 2),  # 1600x1200 fits 640 at 1/2 (800x600), not at 1/4
        ((416, 416), [], 2),
        ((128, 128), [], 8),
        (None, [(0.1, 0.1, 0.5, 0.5)], 2),  # an 800-pixel box keeps 224 at 1/2 (+margin)
        (None, [(0.1, 0.1, 0.08, 0.08)], 1),  # a small box needs every pixel
        ((128, 128), [(0.1, 0.1, 0.5, 0.5)], 2),  # the most demanding use decides
    ],
)
def test_scale_for(frame, boxes, expected):
    assert scale_for((1600, 1200), frame, boxes, margin=0.1, min_side=224) == expected


def test_one_decode_gives_the_crops_crop_box_gives(tmp_path):
    path = jpeg(tmp_path / "a.jpg")
    box = (0.2, 0.3, 0.4, 0.5)
    photo = decode(path, boxes=[box])
    assert photo.full == (1600, 1200) and photo.image.size == (800, 600)
    ours = np.asarray(photo.crop(box, margin=0.1)).astype(int)
    theirs = np.asarray(crop_box(path, box, margin=0.1, min_side=224)).astype(int)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).mean() < 1.0


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied_to_the_decoded_photo(tmp_path, orientation):
    path = jpeg(tmp_path / f"o{orientation}.jpg", size=(400, 200), orientation=orientation)
    photo = decode(path)
    upright = (200, 400) if orientation >= 5 else (400, 200)
    assert photo.full == upright == photo.image.size
    box = (0.1, 0.2, 0.3, 0.4)
    theirs = np.asarray(crop_box(path, box, margin=0.0, min_side=224)).astype(int)
    ours = np.asarray(photo.crop(box, margin=0.0)).astype(int)
    assert ours.shape == theirs.shape and np.abs(ours - theirs).mean() < 1.0


def test_decoded_keeps_order_and_hands_back_failures(tmp_path):
    paths = [jpeg(tmp_path / f"{i}.jpg", size=(320, 240), seed=i) for i in range(5)]
    paths[2].unlink()
    (tmp_path / "3.jpg").write_bytes(b"not a jpeg")
    out = list(
        decoded(
            [group_by_photo([(i, p, (0.1, 0.1, 0.5, 0.5))])[0] for i, p in enumerate(paths)],
            workers=3,
        )
    )
    assert [job.path for job, _ in out] == paths
    assert isinstance(out[2][1], NotFoundError)
    assert "cannot be read as an image" in str(out[3][1])
    assert all(not isinstance(p, Exception) for _, p in (out[0], out[1], out[4]))


def test_boxes_of_one_photo_share_one_decode_and_batches_are_cut(tmp_path):
    a, b = (
        jpeg(tmp_path / "a.jpg", size=(320, 240)),
        jpeg(tmp_path / "b.jpg", size=(320, 240), seed=1),
    )
    items = [
        (1, a, (0.1, 0.1, 0.3, 0.3)),
        (2, b, (0.2, 0.2, 0.3, 0.3)),
        (3, a, (0.5, 0.5, 0.3, 0.3)),
        (4, a, (0.5, 0.5, 0.0, 0.3)),
    ]  # fmt: skip  (4 has no area: skipped)
    jobs = group_by_photo(items)
    assert [(j.path, [d for d, _ in j.boxes]) for j in jobs] == [(a, [1, 3, 4]), (b, [2])]
    batches = list(crops_for_embedding(decoded(jobs), size=32, margin=0.1, batch_size=2))
    assert [ids for ids, _, _ in batches] == [[1, 3], [2]]
    assert all(c.size == (32, 32) for _, crops, _ in batches for c in crops)
    assert [done for _, _, done in batches] == [3, 4]
