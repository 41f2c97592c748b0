"""Dashboard page render times (AppTest) on a large archive in PostgreSQL.

Builds a scratch PostgreSQL database (created here, dropped at the end unless ``--keep``) with
N detections (one per photo, 50 real JPEG files shared by all photos), K deer, S similarity
scores (S/N per detection, the detection's own deer among them), embeddings for the reviewed and
proposed detections, all written with COPY; then renders every page with Streamlit's AppTest and
prints seconds per page: the first render (empty caches) and a rerun (warm caches).

    .venv/bin/python bench/pages.py                                   # 100,000 dets, 1,000,000 scores
    .venv/bin/python bench/pages.py --detections 5000 --scores 50000  # quick
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PG_ADMIN = os.environ.get("DEERTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MODEL, THRESHOLD, DIM = "bench-model", 0.72, 128
PAGES = [
    "overview.py",
    "import_data.py",
    "review.py",
    "individuals.py",
    "similarity.py",
    "threshold.py",
    "exports.py",
    "jobs.py",
    "audit.py",
]
T0 = np.datetime64("2025-09-01T00:00:00")


def _copy(cur, table: str, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    cols = ", ".join(f'"{c}"' for c in df.columns)
    cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)


def _photos(folder: Path, n: int = 50) -> list[str]:
    rng = np.random.default_rng(1)
    names = []
    for i in range(n):
        img = Image.new("RGB", (1920, 1080), tuple(int(v) for v in rng.integers(40, 120, 3)))
        d = ImageDraw.Draw(img)
        d.ellipse((700, 400, 1100, 750), fill=(130, 95, 60))
        name = f"cam/IMG_{i:04d}.JPG"
        (folder / "cam").mkdir(parents=True, exist_ok=True)
        img.save(folder / name, "JPEG", quality=85)
        names.append(name)
    return names


def build(url: str, root: Path, n: int, n_scores: int, n_deer: int, n_cams: int = 20) -> None:
    import psycopg2

    from deertrack_core import db
    from deertrack_core.models import Base

    Base.metadata.create_all(db.get_engine(url))
    rng = np.random.default_rng(7)
    now = pd.Timestamp("2026-01-20 12:00:00")
    files = _photos(root)
    dsn = url.replace("postgresql+psycopg2://", "postgresql://")
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cams = np.arange(1, n_cams + 1)
        _copy(cur, "deployments", pd.DataFrame({
            "id": cams, "station": [f"S{c:02d}" for c in cams], "camera": "A",
            "timezone": "UTC", "clock_offset_s": 0.0, "notes": "", "created_at": now,
        }))  # fmt: skip
        ids = np.arange(1, n + 1)
        captured = T0 + (rng.uniform(0, 150 * 86400, n)).astype("timedelta64[s]")
        _copy(cur, "images", pd.DataFrame({
            "id": ids, "deployment_id": rng.integers(1, n_cams + 1, n),
            "path": [files[i % len(files)] for i in range(n)],
            "sha256": [f"{i:064x}" for i in ids], "file_size": 300_000,
            "camera_time": captured, "captured_at": captured, "time_source": "exif",
            "width": 1920, "height": 1080, "orientation": 1, "make": "", "model": "",
            "ingested_at": now,
        }))  # fmt: skip
        deer = np.arange(1, n_deer + 1)
        _copy(cur, "deer", pd.DataFrame({
            "id": deer, "name": [f"Deer {d:04d}" for d in deer], "sex_age": "unknown",
            "notes": "", "exemplar_detection_id": deer, "created_at": now,
        }))  # fmt: skip
        truth = rng.integers(1, n_deer + 1, n)
        truth[:n_deer] = deer  # each deer's exemplar is its own detection
        per = max(n_scores // n, 1)
        # Distinct deer per detection: a run of consecutive ids that skips the detection's own.
        start = rng.integers(1, n_deer - per + 2, n)[:, None]
        others = (truth[:, None] - 1 + start + np.arange(per - 1)[None, :]) % n_deer + 1
        scored = np.column_stack([truth, others])
        score = np.column_stack(
            [rng.normal(0.8, 0.08, n), rng.normal(0.55, 0.1, (n, per - 1))]
        ).clip(-1, 1)
        best = score.max(axis=1)
        status = rng.choice(
            ["auto", "proposed", "confirmed", "corrected", "rejected"],
            n,
            p=[0.55, 0.2, 0.17, 0.05, 0.03],
        )
        status[:n_deer] = "confirmed"
        deer_col = np.where(np.isin(status, ["proposed", "rejected"]), None, truth)
        order = np.argsort(-score, axis=1)[:, :5]
        cands = [
            json.dumps([{"deer_id": int(scored[i, j]), "score": round(float(score[i, j]), 4)}
                        for j in order[i]])
            for i in range(n)
        ]  # fmt: skip
        _copy(cur, "detections", pd.DataFrame({
            "id": ids, "image_id": ids, "x": 0.36, "y": 0.37, "w": 0.21, "h": 0.33,
            "confidence": rng.uniform(0.5, 1, n).round(3), "category": "animal",
            "source": "megadetector", "sex_age": "unknown", "deer_id": deer_col,
            "match_score": best.round(4), "match_status": status, "candidates": cands,
            "track_id": ids, "created_at": now, "version": 1,
        }))  # fmt: skip
        rows = n * per
        det = np.repeat(ids, per)
        _copy(cur, "reid_similarity_scores", pd.DataFrame({
            "id": np.arange(1, rows + 1), "detection_id": det, "deer_id": scored.ravel(),
            "similarity_score": score.ravel().round(4),
            "matched": (score.ravel() >= THRESHOLD) & (scored.ravel() == np.repeat(truth, per)),
            "threshold_used": THRESHOLD, "model": MODEL, "run_id": "bench",
            "calculated_at": np.repeat(captured, per),
        }))  # fmt: skip
        centres = rng.normal(size=(n_deer + 1, DIM)).astype(np.float32)
        keep = np.flatnonzero(np.isin(status, ["confirmed", "corrected", "proposed"]))
        vec = centres[truth[keep]] + rng.normal(scale=1.2, size=(len(keep), DIM)).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        _copy(cur, "embeddings", pd.DataFrame({
            "id": np.arange(1, len(keep) + 1), "detection_id": ids[keep], "model": MODEL,
            "dim": DIM, "vector": ["\\x" + v.tobytes().hex() for v in vec], "created_at": now,
        }))  # fmt: skip
        cur.execute(
            "INSERT INTO reid_settings (model, threshold, goal, evidence, set_by, set_at) "
            "VALUES (%s, %s, 'bench', NULL, 'bench', now())",
            (MODEL, THRESHOLD),
        )
        for table in ("deployments", "images", "deer", "detections", "embeddings"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('reid_similarity_scores', 'id'), %s)", (rows,)
        )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()


def render(page: str) -> tuple[float, float, str]:
    """(first render with empty data caches, rerun) of one page, in seconds.

    A fresh AppTest pays a one-off harness cost (it scans installed packages for components);
    a running server pays it once at start-up, so a warm-up run comes first and is not counted.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page(f"screens/{page}")
    at.run()
    st.cache_data.clear()
    st.cache_resource.clear()
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    problem = ""
    if at.exception:
        problem = at.exception[0].message[:100]
    elif at.error:
        problem = at.error[0].value[:100]
    return cold, warm, problem


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detections", type=int, default=100_000)
    ap.add_argument("--scores", type=int, default=1_000_000)
    ap.add_argument("--deer", type=int, default=300)
    ap.add_argument("--keep", action="store_true", help="keep the scratch database")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--db", help="reuse a database kept by an earlier --keep run (no build)")
    ap.add_argument("--profile", action="store_true", help="print the top functions per page")
    args = ap.parse_args()

    import psycopg2

    from deertrack_core import db

    name = args.db or f"dt_bench_pages_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    if not args.db:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + "/" + name
    root = Path(tempfile.mkdtemp(prefix="dt-bench-pages-"))
    os.environ.update(
        DEERTRACK_DATABASE_URL=url,
        DEERTRACK_DATA_ROOT=str(root),
        DEERTRACK_HUEY_PATH=str(root / "huey.db"),
        DEERTRACK_EXPORT_DIR=str(root / "exports"),
    )
    os.environ.pop("DEERTRACK_REDIS_URL", None)
    os.chdir(ROOT)
    try:
        t0 = time.perf_counter()
        if args.db:
            _photos(root)
        else:
            build(url, root, args.detections, args.scores, args.deer)
        print(
            f"archive: {args.detections:,} detections, {args.scores:,} scores, {args.deer} deer "
            f"on PostgreSQL, built in {time.perf_counter() - t0:.1f} s"
        )
        print(f"{'page':<16}{'first render s':>16}{'rerun s':>10}  note")
        for page in args.pages:
            if args.profile:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.enable()
            cold, warm, problem = render(page)
            if args.profile:
                prof.disable()
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            print(f"{page:<16}{cold:>16.2f}{warm:>10.2f}  {problem}")
    finally:
        db.dispose(url)
        if not args.keep and not args.db:
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}")
        admin.close()


if __name__ == "__main__":
    main()
