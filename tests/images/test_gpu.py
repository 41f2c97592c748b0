"""The CUDA path of the image pipeline (nvJPEG decode, crops and normalising on the device),
run on the CPU here with torchvision's CPU decoder and on CUDA where there is a GPU."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deertrack_core.images import gpu
from deertrack_core.images.decode import decode
from deertrack_core.images.pipeline import PhotoJob, group_by_photo
from deertrack_core.reid.cache import CropJob, embed_crops
from tests.images.test_pipeline import jpeg


def devices():
    import torch

    yield "cpu"
    yield pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here"),
    )


@pytest.mark.parametrize("device", list(devices()))
@pytest.mark.parametrize("orientation", [1, 3, 6, 8, 2, 5, 7])
def test_tensor_photos_are_upright_like_pillows(tmp_path, device, orientation):
    path = jpeg(tmp_path / "a.jpg", size=(320, 160), orientation=orientation)
    ((job, photo),) = list(gpu.decoded([PhotoJob(path)], device=device))
    ref = np.asarray(decode(path).image).astype(int)
    ours = photo.frame()
    assert ours.shape == ref.shape
    assert np.abs(ours.astype(int) - ref).mean() < 2.0  # two JPEG decoders agree to rounding


@pytest.mark.parametrize("device", list(devices()))
def test_frames_shrink_on_the_device_and_crops_match_pillows(tmp_path, device):
    path = jpeg(tmp_path / "a.jpg", size=(1600, 1200))
    ((_, photo),) = list(gpu.decoded([PhotoJob(path)], device=device))
    assert photo.frame(fit=(416, 416)).shape == (312, 416, 3)
    box = (0.2, 0.3, 0.4, 0.5)
    crops = photo.crops([box], margin=0.1, size=64)
    assert tuple(crops.shape) == (1, 3, 64, 64) and str(crops.device).startswith(device)
    ref = np.asarray(
        decode(path, boxes=[box]).crop(box, margin=0.1).resize((64, 64), Image.Resampling.BILINEAR)
    )
    assert (
        np.abs(crops[0].permute(1, 2, 0).cpu().numpy().astype(int) - ref.astype(int)).mean() < 6.0
    )


@pytest.mark.parametrize("device", list(devices()))
def test_a_broken_file_falls_back_and_is_reported(tmp_path, device):
    good = jpeg(tmp_path / "a.jpg", size=(64, 48))
    png = tmp_path / "b.png"
    Image.new("RGB", (40, 30), (10, 200, 30)).save(png)
    bad = tmp_path / "c.jpg"
    bad.write_bytes(b"\xff\xd8 not really")
    out = dict(gpu.decoded([PhotoJob(good), PhotoJob(png), PhotoJob(bad)], device=device))
    assert out[PhotoJob(png)].frame()[0, 0].tolist() == [10, 200, 30]
    assert isinstance(out[PhotoJob(bad)], Exception)
    assert not isinstance(out[PhotoJob(good)], Exception)


@pytest.mark.parametrize("device", list(devices()))
def test_device_embeddings_match_the_cpu_pipeline(tmp_path, device):
    from deertrack_core.reid.embedders import get_embedder

    paths = [jpeg(tmp_path / f"{i}.jpg", size=(640, 480), seed=i) for i in range(3)]
    jobs = [CropJob(i, p, (0.1 + 0.1 * i, 0.2, 0.5, 0.6)) for i, p in enumerate(paths)]
    cpu = get_embedder("mobilenetv2-imagenet", device="cpu")
    ref: dict[int, np.ndarray] = {}
    for ids, vectors in embed_crops(jobs, cpu):
        ref.update(zip(ids, vectors, strict=True))

    class OnDevice:  # the CPU embedder pretending to sit on ``device``: the tensor path
        name, input_size, dim = cpu.name, cpu.input_size, cpu.dim
        forward, embed = cpu.forward, cpu.embed

    emb = OnDevice()
    emb.device = device
    out = dict(
        (i, v)
        for ids, vecs, _ in gpu.embedded_batches(
            group_by_photo((j.detection_id, j.path, j.box) for j in jobs),
            emb,
            margin=0.1,
            batch_size=2,
        )
        for i, v in zip(ids, vecs, strict=True)
    )
    assert sorted(out) == [0, 1, 2]
    assert min(float(out[i] @ ref[i]) for i in out) > 0.98  # same crops, resampled on the device
