#!/usr/bin/env bash
# Every GPU figure of issue 8 in one run, for a session that has a machine with an NVIDIA GPU:
#   bash bench/gpu_check.sh            (PYTHON=/path/to/venv/bin/python to pick the interpreter)
# Prints: the GPU and what this Python can use on it; the CUDA tests of the image pipeline;
# decode img/s (Pillow draft on all cores vs nvJPEG), MobileNetV2 crops/s end to end vs forward
# only, detection photos/s (YOLOX-Nano when ../shared/models has it, and a randomly initialised
# detector of MegaDetector v5a's size). Goals (issue 8): >= 1,000 crops/s end to end, >= 100
# photos/s with a MegaDetector-size model. Figures also go to gpu_figures.json ($OUT when set).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH=$PWD HF_HUB_OFFLINE=1 DEERTRACK_DEVICE=cuda
OUT_DIR=${OUT:-.}
N=${N:-1024}

echo "== machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | head -3
echo "cores: $(nproc)"
"$PY" - <<'PYEOF'
import torch, torchvision, onnxruntime as ort
print(f"torch {torch.__version__} cuda={torch.cuda.is_available()}",
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
print(f"torchvision {torchvision.__version__}; onnxruntime {ort.__version__} providers {ort.get_available_providers()}")
if "CUDAExecutionProvider" not in ort.get_available_providers():
    print("note: onnxruntime has no CUDA provider (pip install onnxruntime-gpu==1.32.0); "
          "detection figures below are then CPU figures")
PYEOF

echo "== CUDA tests of the image pipeline (decode, crops, embeddings on the device)"
"$PY" -m pytest -q -p no:cacheprovider tests/images tests/detect/test_onnx.py -W ignore::UserWarning 2>&1 | tail -5

echo "== throughput (${N} photos, $(nproc) decode threads)"
"$PY" -W ignore bench/pipeline.py --n "$N" --device cuda --workers "$(nproc)" --mdsize \
  --batch 256 --json "$OUT_DIR/gpu_figures.json" 2>&1 | grep -v " INFO "
echo "== embedding, the former benchmark (one box per photo)"
"$PY" -W ignore bench/embed_throughput.py --n 512 --batch 256 --device cuda 2>&1 | grep -v " INFO "
echo "== CPU figures on the same machine, for comparison"
DEERTRACK_DEVICE=cpu "$PY" -W ignore bench/pipeline.py --n 256 --device cpu --workers "$(nproc)" \
  --skip detect 2>&1 | grep -v " INFO "
