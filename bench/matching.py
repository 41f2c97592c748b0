"""Matching latency: one detection (and batches) against a gallery of 10,000 deer.

Times what ``match_pending`` does per decision on an in-memory gallery: scoring against every deer
(one matrix product) plus the top-5 candidates, for mean prototypes and for max-over-exemplars;
then optionally the whole ``match_pending`` on a scratch SQLite archive (embeddings cached),
including writing every score row.

    .venv/bin/python bench/matching.py                 # 10,000 deer, 1280-D
    .venv/bin/python bench/matching.py --deer 1000 --runs 50 --db-pending 0   # quick
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from deertrack_core.reid.prototypes import Gallery, top_k


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _percentiles(samples: list[float]) -> str:
    ms = np.asarray(samples) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms"


def latency(gallery: Gallery, queries: np.ndarray, runs: int, batch: int = 1) -> list[float]:
    out = []
    for r in range(runs):
        q = queries[(r * batch) % len(queries) :][:batch]
        t0 = time.perf_counter()
        top_k(gallery.scores(q), 5)
        out.append(time.perf_counter() - t0)
    return out


def bench_memory(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(0)
    queries = _unit(rng, 1024, args.dim)
    for kind, per_deer in (("mean", args.exemplars), ("max", args.exemplars)):
        ex = _unit(rng, args.deer * per_deer, args.dim)
        labels = np.repeat(np.arange(args.deer), per_deer)
        gallery = Gallery.from_exemplars(ex, labels, kind)
        gallery.scores(queries[:1])  # build the prototype matrix once (kept between decisions)
        one = latency(gallery, queries, args.runs)
        print(f"[{kind}] 1 detection vs {args.deer:,} deer ({per_deer} exemplars each, "
              f"{args.dim}-D), score + top-5: {_percentiles(one)} over {args.runs} runs")  # fmt: skip
        for batch in (64, 256):
            runs = max(5, args.runs // 20)
            many = latency(gallery, queries, runs, batch)
            per = np.median(many) / batch * 1000
            print(f"[{kind}] batch of {batch} vs {args.deer:,} deer: median "
                  f"{np.median(many) * 1000:.1f} ms per batch = {per:.3f} ms per detection")  # fmt: skip


def bench_db(args: argparse.Namespace) -> None:
    """match_pending end to end on SQLite: read embeddings, decide, log every score."""
    from sqlalchemy import insert

    from deertrack_core import db
    from deertrack_core.models import Base, Deer, Deployment, Detection, Embedding, Image
    from deertrack_core.reid.matching import match_pending

    rng = np.random.default_rng(1)
    n_known, n_pending = args.deer, args.db_pending
    vecs = _unit(rng, n_known + n_pending, args.dim)
    os.environ["DEERTRACK_EMBEDDER"] = "bench-model"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'match.db'}"
        engine = db.get_engine(url)
        Base.metadata.create_all(engine)
        n = n_known + n_pending
        with engine.begin() as conn:
            conn.execute(insert(Deployment).values(id=1, station="B"))
            conn.execute(insert(Deer), [{"id": i + 1, "name": f"D{i + 1}"} for i in range(n_known)])
            conn.execute(
                insert(Image),
                [{"id": i + 1, "deployment_id": 1, "path": f"{i}.jpg", "sha256": f"{i:064d}"}
                 for i in range(n)],
            )  # fmt: skip
            conn.execute(
                insert(Detection),
                [{"id": i + 1, "image_id": i + 1, "x": 0, "y": 0, "w": 1, "h": 1, "version": 1,
                  "deer_id": i + 1 if i < n_known else None,
                  "match_status": "confirmed" if i < n_known else "pending"}
                 for i in range(n)],
            )  # fmt: skip
            conn.execute(
                insert(Embedding),
                [{"detection_id": i + 1, "model": "bench-model", "dim": args.dim,
                  "vector": vecs[i].tobytes()} for i in range(n)],
            )  # fmt: skip
        t0 = time.perf_counter()
        s = match_pending(url, new_individuals="propose")
        seconds = time.perf_counter() - t0
        db.dispose(url)
    print(f"[match_pending, SQLite] {s.detections} pending detections vs {n_known:,} deer end to "
          f"end (load gallery, decide, log {s.scores_logged:,} scores): {seconds:.2f} s = "
          f"{seconds / max(s.detections, 1) * 1000:.0f} ms per detection")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deer", type=int, default=10_000)
    parser.add_argument("--dim", type=int, default=1280)
    parser.add_argument("--exemplars", type=int, default=3, help="exemplars per deer")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--db-pending", type=int, default=20, help="0 skips the database run")
    parser.add_argument("--threads", type=int, default=0, help="BLAS threads (0: library default)")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures scale with it)")
    print(f"BLAS threads: {args.threads or 'library default'}")
    bench_memory(args)
    if args.db_pending:
        bench_db(args)


if __name__ == "__main__":
    main()
