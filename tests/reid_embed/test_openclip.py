"""open_clip embedders with random weights and with a checkpoint file written here (no download)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deertrack_core.errors import ConfigurationError, ModelUnavailableError
from deertrack_core.reid.embedders import get_embedder
from deertrack_core.reid.openclip_backend import OpenClipEmbedder, parse_spec

MODEL = "ViT-S-32"  # the smallest ViT config open_clip ships: fast on a CPU


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """(path, embedder of the very model saved there)."""
    import open_clip
    import torch

    torch.manual_seed(0)
    model, _, _ = open_clip.create_model_and_transforms(MODEL, pretrained=None)
    path = tmp_path_factory.mktemp("ckpt") / "vit_s_32.pt"
    torch.save(model.state_dict(), path)
    return path, OpenClipEmbedder(f"open_clip:{MODEL}:random", model, "cpu")


def _images():
    return [Image.new("RGB", (260, 180), (30 * i, 120, 90)) for i in range(3)]


@pytest.mark.parametrize(
    ("spec", "model", "pretrained"),
    [
        ("open_clip:ViT-B-32:laion2b_s34b_b79k", "ViT-B-32", "laion2b_s34b_b79k"),
        ("open_clip:hf-hub:imageomics/bioclip", "hf-hub:imageomics/bioclip", None),
        ("open_clip:ViT-B-32:/models/my ckpt.pt", "ViT-B-32", "/models/my ckpt.pt"),
        ("open_clip:local-dir:/m/bioclip", "local-dir:/m/bioclip", None),
    ],
)
def test_spec_parsing(spec, model, pretrained):
    parsed = parse_spec(spec)
    assert (parsed.model, parsed.pretrained) == (model, pretrained)


def test_random_weights_embed_to_unit_vectors():
    emb = get_embedder(f"open_clip:{MODEL}:random", device="cpu")
    out = emb.embed(_images())
    assert emb.dim == 384 and out.shape == (3, 384) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_local_checkpoint_loads_the_saved_weights(checkpoint):
    path, original = checkpoint
    loaded = get_embedder(f"open_clip:{MODEL}:{path}", device="cpu")
    assert loaded.name == f"open_clip:{MODEL}:{path}"
    assert np.allclose(loaded.embed(_images()), original.embed(_images()), atol=1e-5)


def test_missing_checkpoint_file_says_how_to_supply_one(tmp_path):
    with pytest.raises(ModelUnavailableError, match="does not exist.*checkpoint"):
        get_embedder(f"open_clip:{MODEL}:{tmp_path / 'absent.pt'}", device="cpu")


def test_tag_without_cached_weights_fails_at_once_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="cannot be loaded.*ckpt.pt"):
        get_embedder("open_clip:ViT-B-32:laion2b_s34b_b79k", device="cpu")


def test_hf_hub_model_offline_fails_at_once(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="imageomics/bioclip"):
        get_embedder("open_clip:hf-hub:imageomics/bioclip", device="cpu")


def test_unknown_tag_lists_the_known_tags():
    with pytest.raises(ConfigurationError, match="Known tags: openai"):
        get_embedder("open_clip:ViT-B-32:not_a_tag", device="cpu")


def test_unknown_model_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="no model 'ViT-Z-99'"):
        get_embedder("open_clip:ViT-Z-99:random", device="cpu")


def test_model_without_weights_asks_for_a_tag():
    with pytest.raises(ConfigurationError, match="names no weights.*random"):
        get_embedder(f"open_clip:{MODEL}", device="cpu")
