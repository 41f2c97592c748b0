"""Backup and restore benchmark: a season-sized archive through deertrack backup / restore.

Builds an archive (N detections with 1280-D cached embeddings, every detection scored against K
deer) in a scratch SQLite file and a scratch PostgreSQL database (created and dropped here), then
times, in the same run:

* the baseline: the native copy alone (SQLite's backup API / pg_dump --format=custom);
* ``deertrack backup`` (native copy + portable tables + checksums + photo manifest);
* ``deertrack restore`` into a new database of each kind, checked against the backup.

    .venv/bin/python bench/backup.py                     # 5,000 detections x 50 deer
    .venv/bin/python bench/backup.py --detections 500 --deer 10   # quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from deertrack_core import db, migrate
from deertrack_core.auth import Actor
from deertrack_core.backup import backup, database_sums, restore
from deertrack_core.models import Deer, Deployment, Detection, Embedding, Image, ReidSimilarityScore

PG_ADMIN = os.environ.get("DEERTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CONSOLE = Actor.console("bench")


def build(url: str, n_det: int, n_deer: int, dim: int = 1280) -> int:
    """The archive, inserted in bulk (not timed); returns the number of rows."""
    rng = np.random.default_rng(1)
    migrate.upgrade(url)
    engine = db.get_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Deployment).values(id=1, station="B", camera="1"))
        conn.execute(insert(Deer), [{"id": i + 1, "name": f"D{i + 1}"} for i in range(n_deer)])
        conn.execute(
            insert(Image),
            [{"id": i + 1, "deployment_id": 1, "path": f"S/{i}.jpg", "sha256": f"{i:064d}"}
             for i in range(n_det)],
        )  # fmt: skip
        conn.execute(
            insert(Detection),
            [{"id": i + 1, "image_id": i + 1, "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4,
              "deer_id": i % n_deer + 1, "match_status": "confirmed"} for i in range(n_det)],
        )  # fmt: skip
        vecs = rng.random((n_det, dim), dtype=np.float32)
        conn.execute(
            insert(Embedding),
            [{"detection_id": i + 1, "model": "m", "dim": dim, "vector": vecs[i].tobytes()}
             for i in range(n_det)],
        )  # fmt: skip
        scores = rng.random(n_det * n_deer)
        for start in range(0, n_det, 1000):
            conn.execute(
                insert(ReidSimilarityScore),
                [{"detection_id": d + 1, "deer_id": k + 1, "similarity_score": float(scores[d * n_deer + k]),
                  "matched": False, "threshold_used": 0.9, "model": "m", "run_id": "r"}
                 for d in range(start, min(start + 1000, n_det)) for k in range(n_deer)],
            )  # fmt: skip
    return 1 + n_deer + 3 * n_det + n_det * n_deer


def _pg_database() -> str:
    import psycopg2

    name = f"dt_bench_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return (
        PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + f"/{name}"
    )


def _drop(url: str) -> None:
    import psycopg2

    db.dispose(url)
    conn = psycopg2.connect(PG_ADMIN)
    conn.autocommit = True
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    conn.close()


def _native(url: str, out: Path) -> float:
    t0 = time.perf_counter()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database) as src, sqlite3.connect(out) as dst:
            src.backup(dst)
    else:
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", "--file", str(out), dsn], check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detections", type=int, default=5000)
    parser.add_argument("--deer", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dt-bench-backup-"))
    sources = {"sqlite": f"sqlite:///{work / 'src.db'}", "postgresql": _pg_database()}
    made: list[str] = [sources["postgresql"]]
    try:
        for kind, url in sources.items():
            rows = build(url, args.detections, args.deer)
            native = _native(url, work / f"native-{kind}")
            t0 = time.perf_counter()
            summary = backup(work / f"bk-{kind}", url=url, actor=CONSOLE)
            took = time.perf_counter() - t0
            size = sum(f.stat().st_size for f in (work / f"bk-{kind}").rglob("*") if f.is_file())
            print(
                f"{kind:10} {rows:>9,} rows  native copy {native:6.2f} s   deertrack backup "
                f"{took:6.2f} s ({rows / took:,.0f} rows/s, {took / native:.1f}x native, "
                f"{size / 2**20:,.1f} MiB, native {summary.native})"
            )
            before = database_sums(url)
            for dest in ("sqlite", "postgresql"):
                target = (
                    f"sqlite:///{work / f'{kind}-to.db'}" if dest == "sqlite" else _pg_database()
                )
                made.append(target)
                t0 = time.perf_counter()
                restore(work / f"bk-{kind}", url=target, actor=CONSOLE)
                took = time.perf_counter() - t0
                same = database_sums(target) == before
                print(
                    f"           restore {kind} -> {dest:10} {took:6.2f} s "
                    f"({rows / took:,.0f} rows/s), every table identical: {same}"
                )
    finally:
        for url in made:
            if url.startswith("postgresql"):
                _drop(url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
