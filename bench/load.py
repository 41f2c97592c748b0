"""Many workers on the real services: concurrent exports, a backfill and reviewers' writes.

Loads a demo season into a fresh PostgreSQL database, then runs ``--workers`` real
``deertrack worker`` processes on a Redis queue of its own while, at the same time, "users"
queue ``--exports`` exports (CSV, Camtrap DP, PDF), an admin queues a similarity backfill,
``--reviewers`` reviewers confirm / correct / reject tracks through the core review functions,
and pollers read the status of every job as the dashboard and the API do. Reports jobs/min,
the status-poll p50/p95, the reviewers' write latency, and checks that no job was lost (every
job ended) or duplicated (each attempt ran once, by the workers' "running job" log lines, and
each export folder holds exactly one file).

Baselines, measured in the same run first: the status-poll latency on an idle queue, and a
burst of ``--scale-exports`` exports alone on ONE worker and then on ``--workers`` workers (how
throughput scales here). ``--kill-one`` SIGKILLs a worker in the middle of the mixed load and
starts a replacement (what systemd's Restart=always does), to show that its job runs again
elsewhere, once.

    .venv/bin/python bench/load.py                       # 3 workers, 60 exports, default season
    .venv/bin/python bench/load.py --kill-one --small    # a killed worker, small season
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The export mix: (share, request). Dates cover the demo season (see load_demo's summary).
MIX = [
    (4, {"report_type": "record_table_csv"}),
    (3, {"report_type": "detections_csv"}),
    (2, {"report_type": "camtrap_dp"}),
    (1, {"report_type": "seasonal_activity", "group_by": "week"}),
]
RUN_LINE = re.compile(r"running job (\w+) \((\w+)\) attempt (\d+) in (\S+)")


def pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# --- the database ------------------------------------------------------------------------------


def fresh_database(admin_dsn: str) -> tuple[str, Callable[[], None]]:
    """Create an empty PostgreSQL database; returns its SQLAlchemy URL and a dropper."""
    import psycopg2

    name = f"dt_load_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(admin_dsn, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://")

    def drop() -> None:
        from deertrack_core import db

        db.dispose(f"{base}/{name}")
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"{base}/{name}", drop


def load_season(url: str, small: bool):
    from deertrack_core import auth, migrate
    from deertrack_core.demo import load_demo

    migrate.upgrade(url, "head")
    n_deer, n_cameras = (4, 2) if small else (24, 6)
    return load_demo(url, n_deer=n_deer, n_cameras=n_cameras, actor=auth.Actor.console("bench"))


# --- workers -----------------------------------------------------------------------------------


def start_worker(logs: Path, env: dict[str, str]) -> subprocess.Popen:
    index = len(list(logs.glob("worker*.log")))
    return subprocess.Popen(
        [sys.executable, "-m", "deertrack_cli.main", "worker"],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=open(logs / f"worker{index}.log", "wb"),  # noqa: SIM115 - the process owns it
        stderr=subprocess.STDOUT,
    )


def stop(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()


def runs_by_job(logs: Path) -> dict[str, list[int]]:
    """Every run of every job, from the workers' logs: job id -> attempts run."""
    runs: dict[str, list[int]] = collections.defaultdict(list)
    for path in sorted(logs.glob("worker*.log")):
        for job_id, _kind, attempt, _where in RUN_LINE.findall(path.read_text(errors="replace")):
            runs[job_id].append(int(attempt))
    return runs


# --- the people --------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)


def reviewer(url: str, name: str, actions: int, stop_flag: threading.Event, tally: Tally) -> None:
    """Review like a person: pick a track near the threshold, decide, save; one transaction per
    decision; a track changed by a colleague meanwhile is a conflict (optimistic lock)."""
    from deertrack_core import db, review
    from deertrack_core.errors import ConflictError, DeertrackError
    from deertrack_core.reid import active

    rng = random.Random(name)
    for _ in range(actions):
        if stop_flag.is_set():
            return
        with db.session_scope(url) as session:
            _model, threshold = active.active_threshold(session)
            entries = review.queue(session, threshold, limit=40)
            if not entries:
                return
            dets = review.track_detections(session, rng.choice(entries).track_key)
            ref, proposed = review.ref_for(dets), all(d.deer_id is not None for d in dets)
        choice = rng.random()
        t0 = time.perf_counter()
        try:
            with db.session_scope(url) as session:
                if proposed and choice < 0.5:
                    review.confirm(session, ref, user=name)
                elif choice < 0.75:
                    review.set_sex_age(session, ref, rng.choice(["doe", "buck"]), user=name)
                elif choice < 0.9:
                    review.new_individual(session, ref, user=name)
                else:
                    review.reject(session, ref, user=name)
            tally.latencies.append(time.perf_counter() - t0)
        except ConflictError:
            tally.conflicts += 1
        except DeertrackError as exc:
            tally.errors.append(str(exc))
        time.sleep(rng.uniform(0.05, 0.3))  # a person reads the next track


def poll_process(env: dict[str, str], seed: int, stop_flag, out) -> None:
    """A status reader in a process of its own, as the dashboard and API servers are: every
    second it lists the recent jobs (the Jobs page), in between it reads one job's status at a
    time (a script polling its export through the API), about 100 times a second."""
    os.environ.update(env)
    from deertrack_core.jobstatus import get_store

    store, rng = get_store(), random.Random(seed)
    ids: list[str] = []
    gets: list[float] = []
    lists: list[float] = []
    next_list = 0.0
    while not stop_flag.is_set():
        if time.perf_counter() >= next_list:
            t0 = time.perf_counter()
            ids = [s.id for s in store.list_recent(20)]
            lists.append(time.perf_counter() - t0)
            next_list = time.perf_counter() + 1.0
        if ids:
            t0 = time.perf_counter()
            store.get(rng.choice(ids))
            gets.append(time.perf_counter() - t0)
        time.sleep(0.01)
    out.put((gets, lists))


class Pollers:
    """``n`` :func:`poll_process` es for as long as the ``with`` block runs."""

    def __init__(self, n: int, env: dict[str, str]) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.stop, self.out = ctx.Event(), ctx.Queue()
        self.procs = [
            ctx.Process(target=poll_process, args=(env, i, self.stop, self.out)) for i in range(n)
        ]
        self.gets: list[float] = []
        self.lists: list[float] = []

    def __enter__(self) -> Pollers:
        for p in self.procs:
            p.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for _ in self.procs:
            gets, lists = self.out.get(timeout=120)
            self.gets += gets
            self.lists += lists
        for p in self.procs:
            p.join(timeout=30)


# --- one phase ---------------------------------------------------------------------------------


@dataclass
class Phase:
    workers: int
    jobs: int = 0
    completed: int = 0
    failed: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    rerun_after_kill: int = 0
    span_s: float = 0.0
    polls: list[float] = field(default_factory=list)
    lists: list[float] = field(default_factory=list)
    reviews: Tally = field(default_factory=Tally)
    backfill: str = ""

    @property
    def jobs_per_min(self) -> float:
        return 60 * self.completed / self.span_s if self.span_s else float("nan")


def run_phase(args, url: str, season, n_workers: int, n_exports: int, *, full: bool) -> Phase:
    """Queue ``n_exports`` exports at once (three users) on ``n_workers`` fresh workers, after a
    warm-up round that is checked but not timed (each worker's first export of a kind imports its
    report code); with ``full``, also a backfill, the reviewers and (``--kill-one``) a killed
    worker."""
    from deertrack_core import auth
    from deertrack_core.jobstatus import get_store
    from jobs import config, tasks

    work = Path(tempfile.mkdtemp(prefix=f"dt-load-{n_workers}w-"))
    env = {
        **os.environ,
        "DEERTRACK_DATABASE_URL": url,
        "DEERTRACK_REDIS_URL": args.redis_url,
        "DEERTRACK_QUEUE_NAME": f"dtload-{uuid.uuid4().hex[:8]}",
        "DEERTRACK_EXPORT_DIR": str(work / "exports"),
    }
    env.pop("DEERTRACK_HUEY_IMMEDIATE", None)
    os.environ.update(env)
    config.configure()
    store = get_store()
    phase = Phase(n_workers)
    workers = [start_worker(work, env) for _ in range(n_workers)]
    stop_flag = threading.Event()
    admin = auth.Actor.console("bench")
    rng = random.Random(n_workers)
    requests = [r for share, r in MIX for _ in range(share)]
    start, end = season.start[:10], season.end[:10]
    pollers = Pollers(args.pollers, env).__enter__()  # started (and warm) before the timing
    warm = [
        tasks.enqueue_export({**r, "start_date": start, "end_date": end}, actor=admin)
        for _share, r in MIX
        for _ in range(2 * n_workers)
    ]
    if not wait_all(store, warm, time.monotonic() + args.timeout):
        print("  ! the warm-up jobs did not finish")
    job_ids: list[str] = []
    threads = []
    if full:
        threads += [
            threading.Thread(
                target=reviewer, args=(url, f"reviewer{i}", args.reviews, stop_flag, phase.reviews)
            )
            for i in range(args.reviewers)
        ]
    for t in threads:
        t.start()
    try:
        backfill_id = tasks.enqueue_backfill(actor=admin) if full else None
        if backfill_id:
            job_ids.append(backfill_id)
        for i in range(n_exports):  # a burst: the workers, not the producers, set the pace
            request = {**rng.choice(requests), "start_date": start, "end_date": end}
            job_ids.append(tasks.enqueue_export(request, actor=auth.Actor.console(f"user{i % 3}")))
        killed = False
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            states = [store.get(j) for j in job_ids]
            finished = sum(1 for s in states if s is not None and s.finished)
            if args.kill_one and full and not killed and finished >= len(job_ids) // 3:
                victim = next(w for w in workers if w.poll() is None)
                victim.send_signal(signal.SIGKILL)  # mid-job: in a burst every worker is busy
                victim.wait()
                workers.append(start_worker(work, env))  # what Restart=always does
                killed = True
                print(f"  killed worker pid {victim.pid} after {finished} jobs; started another "
                      f"(its job is taken over after DEERTRACK_JOB_STALE_S="
                      f"{os.environ.get('DEERTRACK_JOB_STALE_S', '30')} s)")  # fmt: skip
            if finished == len(job_ids):
                break
            time.sleep(0.2)
    finally:
        stop_flag.set()
        for t in threads:
            t.join()
        pollers.__exit__()
        phase.polls, phase.lists = pollers.gets, pollers.lists
        stop(workers)
        config.huey.storage.flush_all()
    return _tally(phase, store, warm + job_ids, set(job_ids), work, backfill_id)


def wait_all(store, job_ids: list[str], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if all((s := store.get(j)) is not None and s.finished for j in job_ids):
            return True
        time.sleep(0.2)
    return False


def _tally(
    phase: Phase, store, job_ids: list[str], timed: set[str], work: Path, backfill_id: str | None
) -> Phase:
    """Check every job (lost? run twice?); time the ``timed`` ones."""
    runs = runs_by_job(work)
    first = last = None
    phase.jobs = len(timed)
    for job_id in job_ids:
        state = store.get(job_id)
        if state is None or not state.finished:
            phase.lost.append(job_id)
            continue
        if state.status == "completed":
            phase.completed += job_id in timed
        else:
            phase.failed.append(f"{job_id}: {state.error}")
        attempts = runs.get(job_id, [])
        # Each attempt the record counts ran exactly once; none ran that it does not count.
        if sorted(attempts) != list(range(1, state.attempt + 1)):
            phase.duplicated.append(f"{job_id}: record attempt {state.attempt}, runs {attempts}")
        if state.attempt > 1:
            phase.rerun_after_kill += 1
        if state.kind == "export" and state.status == "completed":
            files = sorted(p.name for p in (work / "exports" / job_id).iterdir())
            if len(files) != 1 or files[0].endswith(".part"):
                phase.duplicated.append(f"{job_id}: export folder holds {files}")
        if job_id == backfill_id:
            took = (state.finished_at - state.started_at).total_seconds()
            phase.backfill = f"{state.status} in {took:.1f} s ({state.message})"
        if job_id not in timed:
            continue
        first = min(first or state.created_at, state.created_at)
        last = max(last or state.finished_at, state.finished_at)
    if first and last:
        phase.span_s = (last - first).total_seconds()
    return phase


def idle_polls(args, url: str) -> Pollers:
    """The same pollers for a few seconds with nothing else running (the polls' baseline)."""
    from deertrack_core.jobstatus import get_store

    env = {
        **os.environ,
        "DEERTRACK_DATABASE_URL": url,
        "DEERTRACK_REDIS_URL": args.redis_url,
        "DEERTRACK_QUEUE_NAME": f"dtload-{uuid.uuid4().hex[:8]}",
    }
    os.environ.update(env)
    store = get_store()
    for _ in range(20):
        store.create("export", {"report_type": "record_table_csv"})
    with Pollers(args.pollers, env) as pollers:
        time.sleep(5)
    return pollers


def report(name: str, phase: Phase) -> None:
    ms, lists = [x * 1000 for x in phase.polls], [x * 1000 for x in phase.lists]
    print(f"{name}: {phase.workers} worker(s), {phase.jobs} jobs in {phase.span_s:.1f} s")
    print(f"  jobs/min {phase.jobs_per_min:.1f}; completed {phase.completed}, failed "
          f"{len(phase.failed)}, lost {len(phase.lost)}, duplicated {len(phase.duplicated)}, "
          f"run again after a dead worker {phase.rerun_after_kill}")  # fmt: skip
    print(f"  status polls (one job): {len(ms)}, p50 {pct(ms, 50):.1f} ms, "
          f"p95 {pct(ms, 95):.1f} ms, max {max(ms, default=float('nan')):.1f} ms; "
          f"job lists (20 newest): p95 {pct(lists, 95):.1f} ms")  # fmt: skip
    if phase.reviews.latencies or phase.reviews.conflicts:
        rv = [x * 1000 for x in phase.reviews.latencies]
        print(f"  reviewer writes: {len(rv)} saved, {phase.reviews.conflicts} conflicts, "
              f"{len(phase.reviews.errors)} refused; p50 {pct(rv, 50):.0f} ms, "
              f"p95 {pct(rv, 95):.0f} ms")  # fmt: skip
    if phase.backfill:
        print(f"  backfill: {phase.backfill}")
    for line in phase.failed + phase.lost + phase.duplicated + phase.reviews.errors[:5]:
        print(f"  ! {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--exports", type=int, default=60, help="exports of the mixed load")
    parser.add_argument("--scale-exports", type=int, default=30, help="exports of the baselines")
    parser.add_argument("--reviewers", type=int, default=3)
    parser.add_argument("--reviews", type=int, default=40, help="decisions per reviewer")
    parser.add_argument("--pollers", type=int, default=2, help="status-reading processes")
    parser.add_argument("--small", action="store_true", help="4 deer, 2 cameras")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL a worker mid-load")
    parser.add_argument("--no-baseline", action="store_true", help="skip the exports-only runs")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for the jobs")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="dt-load-data-"))
    os.environ["DEERTRACK_DATA_ROOT"] = str(data)
    url, drop = fresh_database(args.pg_admin)
    try:
        t0 = time.perf_counter()
        season = load_season(url, args.small)
        print(f"demo season in a fresh PostgreSQL database: {season.photos} photos, "
              f"{season.detections} boxes, {season.deer_total} deer, {season.pending} to review "
              f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip
        quiet = idle_polls(args, url)
        idle = [x * 1000 for x in quiet.gets]
        print(f"baseline, idle queue: status polls p50 {pct(idle, 50):.1f} ms, "
              f"p95 {pct(idle, 95):.1f} ms; job lists p95 "
              f"{pct([x * 1000 for x in quiet.lists], 95):.1f} ms")  # fmt: skip
        phases = []
        if not args.no_baseline:
            one = run_phase(args, url, season, 1, args.scale_exports, full=False)
            report("baseline, exports only", one)
            many = run_phase(args, url, season, args.workers, args.scale_exports, full=False)
            report("exports only", many)
            print(f"  {args.workers} workers vs 1 on {os.cpu_count()} CPUs: "
                  f"{many.jobs_per_min / one.jobs_per_min:.2f}x jobs/min")  # fmt: skip
            phases += [one, many]
        load = run_phase(args, url, season, args.workers, args.exports, full=True)
        report("mixed load: exports + backfill + reviewers + polls", load)
        load_p95 = pct([x * 1000 for x in load.polls], 95)
        print(f"  status-poll p95 under load {load_p95:.1f} ms vs {pct(idle, 95):.1f} ms idle")
        bad = any(p.lost or p.duplicated for p in [*phases, load])
        print("RESULT:", "jobs lost or duplicated" if bad else "no job lost, none run twice")
        return 1 if bad else 0
    finally:
        drop()


if __name__ == "__main__":
    sys.exit(main())
