"""Demo season: time to generate the photos and to load them (ingest, boxes, ground truth).

    .venv/bin/python bench/demo_season.py            # the default season (6 cameras, 24 deer)
    .venv/bin/python bench/demo_season.py --small    # 4 deer, 2 cameras: a few seconds
    .venv/bin/python bench/demo_season.py --url postgresql+psycopg2://postgres@127.0.0.1/x

Without --url a fresh SQLite file in a temporary folder is used; the database is migrated here. Prints wall and
CPU seconds: on a shared machine the wall time depends on the other load, the CPU time does not.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="4 deer, 2 cameras")
    parser.add_argument("--url", help="an empty database (migrated here; default: a SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n_deer, n_cameras = (4, 2) if args.small else (24, 6)

    import os

    from deertrack_core import migrate
    from deertrack_core.demo import generate_season, load_demo
    from deertrack_core.demo.scene import background

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["DEERTRACK_DATA_ROOT"] = str(root)
        t0, c0 = time.perf_counter(), _cpu()
        m = generate_season(root / "gen-only", seed=args.seed, n_deer=n_deer, n_cameras=n_cameras)
        t1, c1 = time.perf_counter(), _cpu()
        print(f"generate: {len(m.files)} photos, {len(m.truth)} boxes, {len(m.herd)} deer, "
              f"{len(m.stations)} cameras in {t1 - t0:.1f} s wall, {c1 - c0:.1f} s CPU "
              f"({len(m.files) / (c1 - c0):.0f} photos per CPU second)")  # fmt: skip
        background.cache_clear()  # measure load_demo from cold, as a fresh process would run it
        url = args.url or f"sqlite:///{root / 'bench.db'}"
        migrate.upgrade(url, "head")
        t2, c2 = time.perf_counter(), _cpu()
        s = load_demo(url, out_dir=root / "var" / "demo-season", seed=args.seed, n_deer=n_deer,
                      n_cameras=n_cameras)  # fmt: skip
        t3, c3 = time.perf_counter(), _cpu()
        print(f"load_demo ({url.split(':')[0]}): generate {s.generate_s:.1f} s + load "
              f"{s.load_s:.1f} s = {t3 - t2:.1f} s wall, {c3 - c2:.1f} s CPU; "
              f"{s.ingested} photos, {s.detections} boxes, {s.reviewed} reviewed, "
              f"{s.deer_known}/{s.deer_total} deer known")  # fmt: skip


if __name__ == "__main__":
    main()
