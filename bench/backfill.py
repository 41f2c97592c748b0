"""Backfill benchmark: every identified detection x every deer from cached embeddings.

Builds an archive of N detections spread over K deer with cached D-dimensional embeddings (random
unit vectors clustered per deer) in a scratch SQLite file and a scratch PostgreSQL database
(created and dropped here), runs ``deertrack_core.reid.backfill.backfill`` end to end (read the
embeddings, leave-one-out scores, write every row, progress rows), then a naive loop in the same
run: one ORM object, ``session.add`` and ``flush`` per score, on a subset, extrapolated.

    .venv/bin/python bench/backfill.py                       # 4,546 x 53, 1280-D, both backends
    .venv/bin/python bench/backfill.py --detections 500 --deer 10 --naive-rows 200   # quick
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from deertrack_core import db
from deertrack_core.models import (
    Base,
    Deer,
    Deployment,
    Detection,
    Embedding,
    Image,
    ReidSimilarityScore,
)
from deertrack_core.reid.backfill import DEFAULT_BATCH_SIZE, backfill
from deertrack_core.reid.prototypes import prototypes

MODEL = "bench-model"
PG_ADMIN = os.environ.get("DEERTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def build(url: str, n_det: int, n_deer: int, dim: int, seed: int = 1) -> None:
    """Deer, images, confirmed detections and cached embeddings, inserted in bulk (not timed)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_deer, dim)).astype(np.float32)
    labels = np.r_[np.arange(n_deer), rng.integers(0, n_deer, n_det - n_deer)]
    vecs = centres[labels] + 1.5 * rng.normal(size=(n_det, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    engine = db.get_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        dep = conn.execute(insert(Deployment).values(station="B", camera="1")).inserted_primary_key[
            0
        ]
        conn.execute(insert(Deer), [{"id": i + 1, "name": f"D{i + 1}"} for i in range(n_deer)])
        conn.execute(
            insert(Image),
            [{"id": i + 1, "deployment_id": dep, "path": f"{i}.jpg", "sha256": f"{i:064d}"}
             for i in range(n_det)],
        )  # fmt: skip
        conn.execute(
            insert(Detection),
            [{"id": i + 1, "image_id": i + 1, "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2,
              "deer_id": int(labels[i]) + 1, "match_status": "confirmed", "version": 1}
             for i in range(n_det)],
        )  # fmt: skip
        conn.execute(
            insert(Embedding),
            [{"detection_id": i + 1, "model": MODEL, "dim": dim, "vector": vecs[i].tobytes()}
             for i in range(n_det)],
        )  # fmt: skip
        if engine.dialect.name == "postgresql":
            for table in ("deer", "images", "detections"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )


def naive_loop(url: str, rows: int) -> float:
    """Seconds per score for the one-row-at-a-time ORM way (prototype per deer recomputed once,
    then one object + flush per (detection, deer) pair)."""
    with db.session_scope(url) as session:
        dets = session.execute(select(Detection.id, Detection.deer_id).order_by(Detection.id)).all()
        vecs = {
            d: np.frombuffer(v, dtype=np.float32)
            for d, v in session.execute(select(Embedding.detection_id, Embedding.vector))
        }
        deer_ids = sorted({k for _, k in dets})
        t0 = time.perf_counter()
        ids, protos = prototypes(
            np.stack([vecs[d] for d, _ in dets]), np.array([k for _, k in dets])
        )
        written = 0
        for det_id, own in dets:
            for j, deer_id in enumerate(deer_ids):
                score = float(vecs[det_id] @ protos[j])
                session.add(
                    ReidSimilarityScore(
                        detection_id=det_id, deer_id=deer_id, similarity_score=score,
                        matched=deer_id == own, threshold_used=0.85, model=MODEL, run_id="naive",
                    )
                )  # fmt: skip
                session.flush()
                written += 1
                if written >= rows:
                    break
            if written >= rows:
                break
        elapsed = time.perf_counter() - t0
    return elapsed / written


def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    os.environ["DEERTRACK_EMBEDDER"] = MODEL
    t0 = time.perf_counter()
    build(url, args.detections, args.deer, args.dim)
    print(f"[{name}] built {args.detections} detections x {args.deer} deer, {args.dim}-D "
          f"embeddings in {time.perf_counter() - t0:.1f} s (not part of the figures)")  # fmt: skip
    t0 = time.perf_counter()
    summary = backfill(url, batch_size=args.batch_size)
    seconds = time.perf_counter() - t0
    with db.session_scope(url) as session:
        stored = session.scalar(select(func.count()).select_from(ReidSimilarityScore))
    print(f"[{name}] backfill end to end: {summary.scores_written:,} scores in {seconds:.2f} s "
          f"= {summary.scores_written / seconds:,.0f} scores/s ({summary.batches} batches of "
          f"{args.batch_size} detections; {stored:,} rows stored)")  # fmt: skip
    t0 = time.perf_counter()
    again = backfill(url, batch_size=args.batch_size)
    print(f"[{name}] second run (idempotent): {again.scores_written} new scores, "
          f"{time.perf_counter() - t0:.2f} s")  # fmt: skip
    if args.naive_rows:
        per = naive_loop(url, args.naive_rows)
        total = per * summary.scores_written
        print(f"[{name}] naive ORM loop (add + flush per score): measured on {args.naive_rows:,} "
              f"rows, {1 / per:,.0f} scores/s; EXTRAPOLATED to {summary.scores_written:,} scores: "
              f"{total:,.0f} s ({total / 60:.1f} min), {total / seconds:,.0f}x slower")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detections", type=int, default=4546)
    parser.add_argument("--deer", type=int, default=53)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--naive-rows", type=int, default=3000, help="0 skips the naive loop")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures scale with it)")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            try:
                run_backend("sqlite", url, args)
            finally:
                db.dispose(url)
    if "postgresql" in backends:
        import psycopg2

        name = f"dt_bench_{uuid.uuid4().hex[:10]}"
        admin = psycopg2.connect(PG_ADMIN)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
            + f"/{name}"
        )
        try:
            run_backend("postgresql", url, args)
        finally:
            db.dispose(url)
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


if __name__ == "__main__":
    main()
