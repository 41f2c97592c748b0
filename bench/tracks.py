"""How many identity decisions do burst tracks save?

1. The demo season (``deertrack_core.demo.load_demo``) in a fresh SQLite database: its
   MegaDetector-format boxes are linked into tracks by ``assign_tracks``; with the season's
   truth.csv we also count tracks that wrongly join two deer.
2. ``../shared/data/mlwic-elk``: 245 Reconyx frames without EXIF. Bursts come from the file
   names (the burned-in data bar shows 5-frame bursts, "M 1/5" on numbers divisible by 5);
   boxes from the COCO YOLOX-Nano detector in ``../shared/models`` (benchmark only; needs
   onnxruntime). No individual labels: only the counts are reported.

    .venv/bin/python bench/tracks.py               # both
    .venv/bin/python bench/tracks.py --skip-demo   # elk only (fast)
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from deertrack_core.reid.tracks import iou_matrix, link_frames  # noqa: E402

SHARED = Path(os.environ.get("DEERTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def demo_season(seed: int, n_deer: int, n_cameras: int) -> None:
    from sqlalchemy import select

    from deertrack_core import db, paths
    from deertrack_core.demo import load_demo, read_truth
    from deertrack_core.models import Base, Detection, Image
    from deertrack_core.reid.tracks import assign_tracks

    # A fixed folder: a second run reuses the season (loading it again adds nothing).
    tmp_path = Path(tempfile.gettempdir()) / f"dt_tracks_bench_{seed}_{n_deer}_{n_cameras}"
    tmp_path.mkdir(exist_ok=True)
    os.environ["DEERTRACK_DATA_ROOT"] = str(tmp_path)
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    Base.metadata.create_all(db.get_engine(url))
    t0 = time.perf_counter()
    out = tmp_path / "season"
    summary = load_demo(url, out_dir=out, seed=seed, n_deer=n_deer, n_cameras=n_cameras)
    print(f"demo season: {summary.photos} photos, {summary.detections} boxes, "
          f"{summary.cameras} cameras, loaded in {time.perf_counter() - t0:.0f} s")  # fmt: skip
    with db.session_scope(url) as session:
        t1 = time.perf_counter()
        result = assign_tracks(session, only_new=False)
        took = time.perf_counter() - t1
    truth = defaultdict(list)
    for t in read_truth(out / "truth.csv"):
        truth[t.file].append(t)
    with db.session_scope(url) as session:
        rows = session.execute(
            select(Detection.track_id, Image.path, Detection.x, Detection.y, Detection.w,
                   Detection.h, Detection.category)
            .join(Image, Image.id == Detection.image_id)
        ).all()  # fmt: skip
    members: dict[int, set[str]] = defaultdict(set)
    animal_tracks: set[int] = set()
    animal_dets = unmatched = 0
    for track, path, x, y, w, h, category in rows:
        rel = paths.resolve(path).resolve().relative_to(out.resolve()).as_posix()
        cands = truth.get(rel, [])
        label = "?"
        if cands:
            ious = iou_matrix([[x, y, w, h]], [[c.x, c.y, c.w, c.h] for c in cands])[0]
            best = int(ious.argmax())
            label = cands[best].deer or f"false:{rel}:{best}" if ious[best] > 0.5 else "?"
        members[track].add(label)
        unmatched += label == "?"
        if category == "animal":
            animal_tracks.add(track)
            animal_dets += 1
    mixed = sum(1 for labels in members.values() if len(labels) > 1)
    print(f"  all boxes: {result.detections} detections -> {result.tracks} tracks in "
          f"{result.sequences} sequences ({took:.2f} s)")  # fmt: skip
    print(f"  animal boxes: {animal_dets} detections -> {len(animal_tracks)} identity "
          f"decisions: {animal_dets - len(animal_tracks)} saved "
          f"({(animal_dets - len(animal_tracks)) / max(animal_dets, 1):.0%})")  # fmt: skip
    print(f"  tracks joining two different truth labels: {mixed} of {result.tracks} "
          f"({len(rows) - unmatched} of {len(rows)} boxes found in truth.csv)")  # fmt: skip
    db.dispose(url)


def elk_bursts(detector_path: Path, score: float) -> None:
    from deertrack_core.detect import get_detector
    from deertrack_core.detect.run import detect_photo

    folder = SHARED / "data" / "mlwic-elk"
    with (folder / "labels.csv").open(newline="") as fh:
        labels = {r["file"]: r["class_name"] for r in csv.DictReader(fh)}
    files = sorted(labels, key=lambda f: int(Path(f).stem.split("_")[1]))
    bursts: list[list[str]] = []
    prev = None
    for f in files:
        n = int(Path(f).stem.split("_")[1])
        if prev is not None and n == prev + 1 and n // 5 == prev // 5:
            bursts[-1].append(f)
        else:
            bursts.append([f])
        prev = n
    detector = get_detector(f"onnx:{detector_path}")
    t0 = time.perf_counter()
    boxes = {f: [b.box for b in detect_photo(detector, folder / "images" / f, score)
                 if b.category == "animal"] for f in files}  # fmt: skip
    took = time.perf_counter() - t0
    dets = tracks = multi = 0
    per_class: Counter[str] = Counter()
    for burst in bursts:
        frames = [boxes[f] for f in burst]
        labels_per_frame = link_frames(frames, iou_threshold=0.3)
        n_tracks = len({t for lab in labels_per_frame for t in lab})
        sizes = Counter(t for lab in labels_per_frame for t in lab)
        dets += sum(len(fr) for fr in frames)
        tracks += n_tracks
        multi += sum(1 for s in sizes.values() if s > 1)
        for f in burst:
            per_class[labels[f]] += len(boxes[f])
    with_box = sum(1 for f in files if boxes[f])
    print(f"mlwic-elk: {len(files)} frames in {len(bursts)} bursts (file numbers), "
          f"{with_box} frames with an animal box (YOLOX-Nano COCO, score >= {score}; "
          f"{took / len(files) * 1000:.0f} ms/frame)")  # fmt: skip
    print(f"  boxes per label: {dict(per_class)}")
    print(f"  {dets} detections -> {tracks} tracks ({multi} multi-frame): "
          f"{dets - tracks} identity decisions saved ({(dets - tracks) / max(dets, 1):.0%})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-elk", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deer", type=int, default=24)
    parser.add_argument("--cameras", type=int, default=6)
    parser.add_argument("--score", type=float, default=0.3, help="detector score threshold")
    parser.add_argument("--detector", type=Path, default=SHARED / "models" / "yolox_nano_coco.onnx")
    args = parser.parse_args()
    if not args.skip_demo:
        demo_season(args.seed, args.deer, args.cameras)
    if not args.skip_elk:
        if not (SHARED / "data" / "mlwic-elk").is_dir():
            print("mlwic-elk: ../shared/data is absent; skipped")
        else:
            elk_bursts(args.detector, args.score)


if __name__ == "__main__":
    main()
