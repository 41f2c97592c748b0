"""Enqueue-to-completed latency of a small export through a real worker on Redis.

Seeds a small archive in a throw-away SQLite database (or --db-url), starts ``deertrack worker``
as a separate process on its own Redis queue, then queues --runs exports one after another and
times each from just before ``enqueue_export`` until the status store reads ``completed``.

    .venv/bin/python bench/job_latency.py                       # 20 record-table CSV exports
    .venv/bin/python bench/job_latency.py --runs 5 --report-type seasonal_activity
    .venv/bin/python bench/job_latency.py --report-type selftest   # queue overhead only
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(url: str, n_images: int) -> None:
    from deertrack_core import db
    from deertrack_core.models import Base, Deer, Deployment, Detection, Image

    Base.metadata.create_all(db.get_engine(url))
    with db.session_scope(url) as session:
        deer = Deer(name="Buck 1")
        dep = Deployment(
            station="North",
            camera="c1",
            start=dt.datetime(2024, 6, 1),
            latitude=45.1,
            longitude=-75.2,
        )
        session.add_all([deer, dep])
        for i in range(n_images):
            moment = dt.datetime(2024, 6, 1, 6) + dt.timedelta(minutes=37 * i)
            image = Image(
                deployment=dep,
                path=f"North/IMG_{i:05d}.JPG",
                sha256=uuid.uuid4().hex * 2,
                camera_time=moment,
                captured_at=moment,
            )
            session.add(image)
            session.add(
                Detection(image=image, x=0.1, y=0.1, w=0.2, h=0.2, species="deer", deer=deer)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--report-type", default="record_table_csv")
    parser.add_argument("--images", type=int, default=200, help="photos in the seeded archive")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--db-url", help="database to seed (default: a temporary SQLite file)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dt-bench-"))
    url = args.db_url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.update(
        DEERTRACK_DATABASE_URL=url,
        DEERTRACK_REDIS_URL=args.redis_url,
        DEERTRACK_QUEUE_NAME=f"dtbench-{uuid.uuid4().hex[:8]}",
        DEERTRACK_EXPORT_DIR=str(tmp / "exports"),
    )
    os.environ.pop("DEERTRACK_HUEY_IMMEDIATE", None)
    seed(url, args.images)

    from deertrack_core.jobstatus import get_store
    from jobs import config, tasks

    config.configure()
    store = get_store()
    worker = subprocess.Popen(
        [sys.executable, "-m", "deertrack_cli.main", "worker"],
        cwd=ROOT,
        stdout=open(tmp / "worker.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    request = {"report_type": args.report_type, "start_date": "2024-06-01"}

    def enqueue() -> str:
        if args.report_type == "selftest":
            return tasks.enqueue_selftest()
        return tasks.enqueue_export(request)

    def run_once() -> tuple[float, float]:
        t0 = time.perf_counter()
        job_id = enqueue()
        while True:
            state = store.get(job_id)
            if state.finished:
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        if state.status != "completed":
            raise SystemExit(f"job failed: {state.message} (log: {tmp / 'worker.log'})")
        return wall, (state.finished_at - state.created_at).total_seconds()

    try:
        run_once()  # warm-up: the worker's first job imports the report code
        walls, stored = zip(*(run_once() for _ in range(args.runs)), strict=True)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        config.huey.storage.flush_all()

    def pct(values, p):
        return statistics.quantiles(values, n=100)[p - 1] * 1000 if len(values) > 1 else values[0]

    backend = url.split(":", 1)[0]
    print(f"{args.report_type} job, {args.images} photos, {backend}, Redis queue, {args.runs} runs")
    print(
        f"  enqueue -> completed seen by caller: p50 {pct(walls, 50):.0f} ms  p95 {pct(walls, 95):.0f} ms"
    )
    print(
        f"  created_at -> finished_at (store):   p50 {pct(stored, 50):.0f} ms  p95 {pct(stored, 95):.0f} ms"
    )


if __name__ == "__main__":
    main()
