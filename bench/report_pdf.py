"""Benchmark: the seasonal-activity PDF over a big archive, on SQLite and PostgreSQL.

Generates N detections (default 100,000: 6 cameras, 50 deer, one autumn season, about 1.3
detections per photo, 70 % identified) by bulk insert into a scratch SQLite file and a scratch
PostgreSQL database (created and dropped), then times ``build_export`` and prints seconds, pages
and size. Target: under 10 s for 100,000 detections.

    .venv/bin/python bench/report_pdf.py                     # 100,000 detections, both backends
    .venv/bin/python bench/report_pdf.py --detections 5000   # quick
    .venv/bin/python bench/report_pdf.py --types seasonal_activity,camera_summary --group-by day
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from deertrack_core import db  # noqa: E402
from deertrack_core.models import Base, Deer, Deployment, Detection, Image  # noqa: E402
from deertrack_core.reports.build import build_export  # noqa: E402
from deertrack_core.reports.request import ExportRequest  # noqa: E402

PG_ADMIN = os.environ.get("DEERTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SEASON_START = dt.datetime(2024, 9, 1)
SEASON_DAYS = 120
CLASSES = ["buck", "doe", "fawn"]


def generate(url: str, n_detections: int, n_deer: int = 50, n_cameras: int = 6, seed: int = 7):
    """Fill an empty database; returns (images, detections) inserted."""
    rng = np.random.default_rng(seed)
    engine = db.get_engine(url)
    Base.metadata.create_all(engine)
    n_images = int(n_detections / 1.3)
    # Crepuscular deer: photo hours drawn around dawn (6:30) and dusk (18:30), some at night.
    day = rng.integers(0, SEASON_DAYS, n_images)
    peak = rng.choice([6.5, 18.5, 0.0], n_images, p=[0.42, 0.42, 0.16])
    hour = np.where(peak == 0.0, rng.uniform(0, 24, n_images), rng.normal(peak, 1.3, n_images))
    seconds = (day * 86400 + np.clip(hour, 0, 23.99) * 3600).astype(np.int64)
    camera = rng.integers(0, n_cameras, n_images)
    order = np.argsort(seconds)
    seconds, camera = seconds[order], camera[order]
    with db.session_scope(url) as s:
        s.execute(insert(Deployment), [
            {"id": i + 1, "station": f"S{i + 1:02d}", "camera": f"CAM{i + 1:02d}",
             "latitude": 44.0 + i / 100, "longitude": -92.0 - i / 100,
             "start": SEASON_START - dt.timedelta(days=2) if i else None,
             "end": SEASON_START + dt.timedelta(days=SEASON_DAYS + 1) if i else None,
             "timezone": "America/Chicago", "notes": "synthetic benchmark deployment"}
            for i in range(n_cameras)
        ])  # fmt: skip
        s.execute(insert(Deer), [
            {"id": i + 1, "name": f"Deer-{i + 1:02d}", "sex_age": CLASSES[i % 3],
             "notes": "synthetic"} for i in range(n_deer)
        ])  # fmt: skip
        s.execute(insert(Image), [
            {"id": i + 1, "deployment_id": int(camera[i]) + 1, "path": f"bench/{i + 1:07d}.jpg",
             "sha256": uuid.uuid4().hex + uuid.uuid4().hex,
             "captured_at": SEASON_START + dt.timedelta(seconds=int(seconds[i])),
             "width": 1920, "height": 1080}
            for i in range(n_images)
        ])  # fmt: skip
        image_of = np.concatenate(
            [np.arange(n_images), rng.integers(0, n_images, n_detections - n_images)]
        )
        deer = rng.integers(1, n_deer + 1, n_detections)
        known = rng.random(n_detections) < 0.7
        rows = [
            {"image_id": int(image_of[i]) + 1, "x": 0.3, "y": 0.3, "w": 0.2, "h": 0.3,
             "confidence": 0.9, "category": "animal", "species": "Odocoileus virginianus",
             "deer_id": int(deer[i]) if known[i] else None,
             "match_status": "auto" if known[i] else "pending",
             "match_score": 0.9 if known[i] else None}
            for i in range(n_detections)
        ]  # fmt: skip
        for chunk in range(0, len(rows), 20000):
            s.execute(insert(Detection), rows[chunk : chunk + 20000])
    return n_images, n_detections


def pages(path: Path) -> int | None:
    try:
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return int(next(x.split()[1] for x in out.stdout.splitlines() if x.startswith("Pages:")))


def time_reports(
    url: str, types: list[str], group_by: str, out: Path, backend: str, repeat: int
) -> None:
    for report_type in [t for t in types for _ in range(repeat)]:
        request = ExportRequest(report_type=report_type,
                                start_date=SEASON_START.date(),
                                end_date=(SEASON_START + dt.timedelta(days=SEASON_DAYS - 1)).date(),
                                group_by=group_by, independence_minutes=30.0)  # fmt: skip
        t0, c0 = time.perf_counter(), time.process_time()
        path = build_export(request, out, url=url)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = pages(path) if path.suffix == ".pdf" else None
        size = path.stat().st_size / 1024
        print(f"{backend:10s} {report_type:20s} {seconds:6.2f} s wall {cpu:6.2f} s cpu  "
              f"{(str(n) + ' pages') if n else '':>9s}  {size:8.0f} KiB  {path.name}",
              flush=True)  # fmt: skip


def with_postgres(fn):
    import psycopg2

    admin = psycopg2.connect(PG_ADMIN, connect_timeout=3)
    admin.autocommit = True
    name = f"dt_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + "/" + name
    try:
        fn(url)
    finally:
        db.dispose(url)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detections", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--types", default="seasonal_activity")
    parser.add_argument("--group-by", default="week", choices=["day", "week", "month"])
    parser.add_argument("--out", type=Path, help="keep the reports in this folder")
    parser.add_argument("--repeat", type=int, default=2,
                        help="builds per type (the first is cold: imports, chart engine start)")  # fmt: skip
    args = parser.parse_args()
    types = [t.strip() for t in args.types.split(",") if t.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "reports"

        def run(url: str, backend: str) -> None:
            t0 = time.perf_counter()
            n_img, n_det = generate(url, args.detections)
            print(f"{backend:10s} generated {n_det:,} detections on {n_img:,} photos "
                  f"in {time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
            time_reports(url, types, args.group_by, out, backend, args.repeat)

        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                run(url, backend)
                db.dispose(url)
            elif backend == "postgresql":
                with_postgres(lambda u: run(u, "postgresql"))
            else:
                parser.error(f"unknown backend {backend!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
