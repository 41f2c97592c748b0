"""Dashboard pages in a real browser: seconds to the first full render, per page, per archive.

Starts the dashboard as ``make run`` does (:mod:`ui.launch`: ``streamlit run app.py``, served
mode) on each archive and opens every page in headless Chromium (Playwright, /usr/bin/chromium). A page counts as fully rendered when
the script run has finished (``stApp`` reports ``notRunning``), no spinner or skeleton is left,
every image has decoded and every chart has drawn. Each page is timed twice: the first visit
(the server's caches empty for that page) and a reload (warm caches). Screenshots go to --shots.

Archives:

* ``demo``: the synthetic demo season (``deertrack demo``: 620 photos, 687 boxes, 24 deer),
  built into a scratch SQLite file unless ``--demo-url`` names one.
* ``large``: 100,000 detections and 1,000,000 similarity scores on PostgreSQL, built with
  ``bench/pages.py``'s generator unless ``--large-url`` names a kept one (``--keep``).

    python bench/browser_pages.py                       # both archives
    python bench/browser_pages.py --archives demo --shots bench/out/shots
    python bench/browser_pages.py --archives large --detections 5000 --scores 50000   # quick

The baseline printed first is an empty page of the same server (the browser's own floor). Each
archive is measured ``--rounds`` times on a fresh server (the machines are shared and noisy): the
table gives the median first visit, the worst one and the median reload.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui import served  # noqa: E402 - after the path

CHROMIUM, FLAGS = served.CHROMIUM, served.FLAGS
PAGES = {
    "overview": "",
    "import": "import_data",
    "review": "review",
    "individuals": "individuals",
    "deer page": "individuals",  # then "Open" on the first deer
    "similarity": "similarity",
    "threshold": "threshold",
    "models": "models",
    "population": "population",
    "exports": "exports",
    "jobs": "jobs",
    "audit": "audit",
    "users": "users",
}

# True once the script run is over and everything it sent has drawn.
RENDERED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]')) return false;
  if (!document.querySelector('[data-testid="stMainBlockContainer"] h1')) return false;
  for (const img of document.querySelectorAll('[data-testid="stMain"] img'))
    if (!img.complete || img.naturalWidth === 0) return false;
  for (const chart of document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    if (!chart.querySelector('canvas, svg')) return false;
  return true;
}"""


def _rendered(tab, timeout_s: float = 120) -> float:
    tab.wait_for_function(RENDERED, timeout=timeout_s * 1000, polling=50)
    return time.perf_counter()


def time_page(tab, base: str, name: str, shots: Path | None, label: str) -> tuple[float, float]:
    """(first visit, reload) seconds to a full render of one page."""
    out = []
    for visit in range(2):
        t0 = time.perf_counter()
        tab.goto(f"{base}/{PAGES[name]}")
        if name == "deer page":
            _rendered(tab)
            t0 = time.perf_counter()  # the click is the user's: time from it
            tab.get_by_role("button", name="Open").first.click()
            tab.get_by_text("Latest sightings").first.wait_for(timeout=120_000)
        out.append(_rendered(tab) - t0)
        if shots is not None and visit == 1:
            # Streamlit scrolls inside its main block: a tall window shows the whole page.
            shots.mkdir(parents=True, exist_ok=True)
            size = tab.viewport_size
            tab.set_viewport_size({"width": size["width"], "height": 2600})
            tab.wait_for_timeout(800)
            tab.screenshot(path=str(shots / f"{label}-{name.replace(' ', '-')}.png"))
            tab.set_viewport_size(size)
    return out[0], out[1]


def measure(url: str, data_root: Path, label: str, shots: Path | None, width: int,
            pages: list[str]) -> dict:  # fmt: skip
    """One round on a fresh server: {page: (first visit s, reload s)}, the floor as "floor"."""
    from playwright.sync_api import sync_playwright

    env = served.scratch_env(url, data_root)
    out: dict = {}
    with served.serve(env, data_root / f"streamlit-{label}.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        tab = browser.new_page(viewport={"width": width, "height": 1000})
        tab.set_default_timeout(120_000)
        t0 = time.perf_counter()
        tab.goto(base)
        _rendered(tab)  # the server's one-off start-up work (imports, engine) is not a page's
        out["cold"] = (time.perf_counter() - t0, float("nan"))
        t0 = time.perf_counter()
        tab.goto(f"{base}/no_such_page")
        out["floor"] = (_rendered(tab) - t0, float("nan"))
        for name in pages:
            try:
                out[name] = time_page(tab, base, name, shots, label)
            except Exception as exc:  # noqa: BLE001 - report the page and go on
                print(f"{label} {name}: failed: {str(exc).splitlines()[0][:90]}", flush=True)
        browser.close()
    return out


def report(url: str, data_root: Path, label: str, shots: Path | None, width: int,
           rounds: int, pages: list[str]) -> None:  # fmt: skip
    """``rounds`` rounds (a fresh server each; screenshots on the last): median and worst."""
    runs = []
    for i in range(rounds):
        shot = shots if i == rounds - 1 else None
        runs.append(measure(url, data_root, label, shot, width, pages))
        print(f"  {label}: round {i + 1}/{rounds} done", flush=True)
    floor = [r["floor"][0] for r in runs]
    cold = [r["cold"][0] for r in runs]
    print(f"\n{label}: {url.split('@')[-1]}  ({rounds} rounds, a fresh server each; empty-page "
          f"floor median {statistics.median(floor):.2f} s; the server's very first page, with "
          f"its start-up imports, {statistics.median(cold):.2f} s)")  # fmt: skip
    print(f"{'page':<14}{'first visit s':>15}{'worst':>8}{'reload s':>10}{'under 2 s':>11}")
    for name in pages:
        first = [r[name][0] for r in runs if name in r]
        again = [r[name][1] for r in runs if name in r]
        if not first:
            print(f"{name:<14}{'failed':>15}")
            continue
        ok = "yes" if statistics.median(first) < 2 and statistics.median(again) < 2 else "NO"
        print(f"{name:<14}{statistics.median(first):>15.2f}{max(first):>8.2f}"
              f"{statistics.median(again):>10.2f}{ok:>11}", flush=True)  # fmt: skip


def demo_archive(work: Path) -> str:
    url = f"sqlite:///{work / 'deertrack.db'}"
    env = {**os.environ, "DEERTRACK_DATABASE_URL": url, "DEERTRACK_DATA_ROOT": str(work)}
    cli = [sys.executable, "-m", "deertrack_cli.main"]
    t0 = time.perf_counter()
    for args in (["migrate"], ["demo", "--no-progress"]):
        subprocess.run(cli + args, env=env, cwd=ROOT, check=True, capture_output=True)
    print(f"demo season built in {time.perf_counter() - t0:.0f} s")
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archives", nargs="*", default=["demo", "large"], choices=["demo", "large"])
    ap.add_argument("--demo-url", help="an existing demo database (skips building one)")
    ap.add_argument("--demo-root", type=Path, help="its data root (default: next to the file)")
    ap.add_argument("--large-url", help="a database kept by bench/pages.py --keep")
    ap.add_argument("--detections", type=int, default=100_000)
    ap.add_argument("--scores", type=int, default=1_000_000)
    ap.add_argument("--shots", type=Path, help="write a screenshot of every page here")
    ap.add_argument("--keep", action="store_true", help="keep the large archive's database")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--pages", nargs="*", default=list(PAGES), choices=list(PAGES),
                    metavar="PAGE", help="only these pages (default: all)")  # fmt: skip
    ap.add_argument("--rounds", type=int, default=3, help="fresh servers per archive (median)")
    args = ap.parse_args()
    os.chdir(ROOT)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="dt-browser-pages-"))
    if "demo" in args.archives:
        url = args.demo_url or demo_archive(work / "demo")
        root = args.demo_root or (
            Path(url.removeprefix("sqlite:///")).parent if args.demo_url else work / "demo"
        )
        report(url, root, "demo", args.shots, args.width, args.rounds, args.pages)
    if "large" in args.archives:
        from bench import pages

        root = work / "large"
        root.mkdir()
        if args.large_url:
            pages._photos(root)  # noqa: SLF001 - the generator's photo files
            report(args.large_url, root, "large", args.shots, args.width, args.rounds, args.pages)
            return
        import psycopg2

        name = f"dt_bench_browser_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(pages.PG_ADMIN)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = pages.PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")
        url = f"{url}/{name}"
        try:
            t0 = time.perf_counter()
            pages.build(url, root, args.detections, args.scores, 300)
            print(f"\nlarge archive: {args.detections:,} detections, {args.scores:,} scores, "
                  f"built in {time.perf_counter() - t0:.0f} s")  # fmt: skip
            report(url, root, "large", args.shots, args.width, args.rounds, args.pages)
        finally:
            from deertrack_core import db

            db.dispose(url)
            if args.keep:
                print(f"kept {url} (--large-url to reuse)")
            else:
                with admin.cursor() as cur:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


if __name__ == "__main__":
    main()
