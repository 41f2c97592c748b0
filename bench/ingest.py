"""Ingest throughput: photos per second (read + SHA-256 + EXIF/XMP + insert) and peak memory.

Datasets: ../shared/data/camtrapR (169 real Cuddeback photos, skipped when absent) and N generated
1920x1080 JPEGs with EXIF (generated once into a cache folder under /tmp). Backends: a fresh
SQLite file and a scratch PostgreSQL database (created and dropped; skipped when unreachable).
Each measurement runs in a fresh process, so the peak RSS it reports is that run's alone.

    .venv/bin/python bench/ingest.py            # 2,000 generated photos, both backends
    .venv/bin/python bench/ingest.py --n 200    # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("DEERTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SHARED = Path(os.environ.get("DEERTRACK_SHARED", ROOT.parent / "shared")) / "data"


def generate(n: int, cache: Path) -> Path:
    """N 1920x1080 JPEGs with EXIF in 4 station folders, bursts of 3 (made once, then reused)."""
    import numpy as np
    import piexif
    from PIL import Image, ImageDraw

    folder = cache / f"generated-{n}"
    done = folder / ".complete"
    if done.exists():
        return folder
    rng = np.random.default_rng(7)
    # One textured base frame (noise compresses like foliage); each photo gets its own marks.
    base = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    base = (base // 4 + np.linspace(0, 160, 1920, dtype=np.uint8)[None, :, None]).astype(np.uint8)
    t0 = dt.datetime(2024, 9, 1, 5, 30)
    print(f"generating {n} photos into {folder} (once) ...", file=sys.stderr)
    for i in range(n):
        station = f"Station{i % 4 + 1}"
        k = i // 4
        when = t0 + dt.timedelta(minutes=37 * (k // 3), seconds=2 * (k % 3))
        im = Image.fromarray(base)
        draw = ImageDraw.Draw(im)
        x, y = int(rng.integers(0, 1700)), int(rng.integers(0, 900))
        draw.rectangle(
            [x, y, x + 220, y + 160], fill=tuple(int(v) for v in rng.integers(0, 255, 3))
        )
        exif = piexif.dump(
            {
                "0th": {piexif.ImageIFD.Make: b"RECONYX", piexif.ImageIFD.Model: b"HF2X"},
                "Exif": {
                    piexif.ExifIFD.DateTimeOriginal: when.strftime("%Y:%m:%d %H:%M:%S").encode()
                },
            }
        )
        out = folder / station / f"IMG_{i:05d}.JPG"
        out.parent.mkdir(parents=True, exist_ok=True)
        im.save(out, "JPEG", quality=85, exif=exif)
    done.write_text("ok")
    return folder


def _pg_create() -> tuple[str, str]:
    import psycopg2

    name = f"dt_bench_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN, connect_timeout=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
    return f"{base}/{name}", name


def _pg_drop(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN, connect_timeout=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _child(folder: str, url: str, data_root: str, queue) -> None:
    os.environ["DEERTRACK_DATA_ROOT"] = data_root
    from deertrack_core import db
    from deertrack_core.ingest import ingest_folder
    from deertrack_core.models import Base

    Base.metadata.create_all(db.get_engine(url))
    start = time.perf_counter()
    first = ingest_folder(Path(folder), url=url)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    again = ingest_folder(Path(folder), url=url)
    re_elapsed = time.perf_counter() - start
    db.dispose(url)
    queue.put(
        {
            "files": first.ingested + first.duplicates + len(first.failed),
            "ingested": first.ingested,
            "elapsed": elapsed,
            "re_files": again.duplicates,
            "re_elapsed": re_elapsed,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def measure(folder: Path, backend: str, scratch: Path) -> dict | None:
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{scratch / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    else:
        try:
            url, pg_name = _pg_create()
        except Exception as exc:  # noqa: BLE001 - any connection problem: skip the backend
            print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
            return None
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(str(folder), url, str(folder.parent), queue))
    proc.start()
    try:
        result = queue.get(timeout=3600)
    finally:
        proc.join()
        if pg_name:
            _pg_drop(pg_name)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="generated 1920x1080 photos (2000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "deertrack-bench-ingest"
    )
    args = parser.parse_args()

    datasets: list[tuple[str, Path]] = []
    if (SHARED / "camtrapR").is_dir():
        datasets.append(("camtrapR (real, 100x75)", SHARED / "camtrapR"))
    else:
        print(f"{SHARED / 'camtrapR'} absent: skipped", file=sys.stderr)
    datasets.append((f"generated 1920x1080 x{args.n}", generate(args.n, args.cache)))

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, folder in datasets:
            for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
                r = measure(folder, backend, Path(scratch))
                if r is not None:
                    rows.append((label, backend, r))

    header = f"{'dataset':30} {'backend':10} {'photos':>6} {'new':>5} {'s':>7} {'photos/s':>9} {'re-ingest/s':>11} {'peak RSS MB':>11}"
    print(header)
    print("-" * len(header))
    for label, backend, r in rows:
        print(
            f"{label:30} {backend:10} {r['files']:>6} {r['ingested']:>5} {r['elapsed']:>7.2f} "
            f"{r['files'] / r['elapsed']:>9.1f} {r['re_files'] / r['re_elapsed']:>11.1f} "
            f"{r['maxrss_mb']:>11.0f}"
        )
    print(f"(cpu cores: {os.cpu_count()}; photos/s = files walked / wall seconds of ingest_folder)")


if __name__ == "__main__":
    main()
