"""The background tasks: thin wrappers over core functions that take a progress callback.

Each task writes its life cycle to the job-status store: it first *claims* the job (queued ->
processing, atomically: a job handed to two workers runs once), then throttled progress (which
also refreshes the heartbeat), heartbeats from the worker's sidecar process
(:mod:`jobs.heartbeat`) through long silent steps, then
``complete`` or ``failed`` with a readable message. Every write names the run's attempt, so a run
that lost the job (timed out, recovered by another worker) changes nothing and stops. A
``DeertrackError`` fails the job at once with its own message (retrying cannot fix a bad
request); any other exception is retried while Huey has retries left and the job has been started
fewer than ``DEERTRACK_JOB_ATTEMPTS`` times (the status says "retrying (attempt 2 of 3) ...") and
then fails. The worker's watchdog (:mod:`jobs.watchdog`) holds each run to its time limit and puts
the jobs of dead workers back on the queue (:mod:`jobs.recovery`).

Producers call the ``enqueue_*`` functions, which write the ``queued`` status and return the job
id; :func:`enqueue_export` validates the request first and enqueues nothing when it is invalid.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deertrack_core import auth, paths, settings
from deertrack_core.errors import DeertrackError, JobError, ValidationError
from deertrack_core.jobstatus import JobStatusStore, get_store, policy
from deertrack_core.jobstatus.expiry import clear_unfinished
from deertrack_core.reports.request import ExportRequest, validate_export_request
from jobs import heartbeat, watchdog
from jobs.config import huey

log = logging.getLogger(__name__)

#: Seconds between two progress writes of one job (the last one always lands via ``complete``).
PROGRESS_INTERVAL_S = 0.5


@dataclass(frozen=True)
class Outcome:
    """What a task body hands back: the file it wrote (if any), a JSON summary, a message."""

    result_path: str | None = None
    result: dict[str, Any] | None = None
    message: str = "done"


class LostJob(Exception):
    """This run no longer holds its job (timed out, or recovered by another worker)."""


class ProgressWriter:
    """A ``ProgressCallback`` that writes to the status store at most every ``interval`` s.

    For run ``attempt`` of the job: when the store refuses the write because the job is no
    longer this run's, it raises :class:`LostJob` so that the run stops."""

    def __init__(
        self,
        store: JobStatusStore,
        job_id: str,
        *,
        interval: float = PROGRESS_INTERVAL_S,
        attempt: int | None = None,
    ) -> None:
        self.store, self.job_id, self.interval = store, job_id, interval
        self.attempt = attempt
        self._last = float("-inf")
        self.scale = (0.0, 100.0)  # a task with phases maps each phase onto part of 0-100 %

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        low, high = self.scale
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        percent = round(low + (high - low) * fraction, 1)
        if not self.store.progress(self.job_id, percent, message, attempt=self.attempt):
            raise LostJob(f"job {self.job_id} is no longer run by attempt {self.attempt}")


def _summary(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    return {"value": str(value)}


def run_job(
    job_id: str, task: Any, retries: int, body: Callable[[ProgressWriter], Outcome]
) -> Outcome | None:
    """Run ``body`` as job ``job_id``, writing every state change to the status store.

    Nothing runs unless this call claims the queued job. ``task`` is the Huey task (whose
    ``retries`` are those left), or ``None`` when called directly; ``retries`` is how often the
    kind is retried after a crash (the attempt itself is counted in the job's record)."""
    store = get_store()
    claimed = store.claim(job_id)
    if claimed is None:
        state = store.get(job_id)
        log.warning(
            "job %s not run: %s",
            job_id,
            "its record is gone (expired?)" if state is None else f"it is {state.status}",
        )
        return None
    kind, attempt = claimed.kind, claimed.attempt
    if attempt > 1:
        clear_unfinished(job_id)  # what an earlier, cut-off attempt left
    # One line per run: how many times a job ran can be counted from the workers' logs.
    where = f"{socket.gethostname()}:{os.getpid()}"
    log.info("running job %s (%s) attempt %d in %s", job_id, kind, attempt, where)
    remaining = min(task.retries, retries) if task is not None else 0
    writer = ProgressWriter(store, job_id, attempt=attempt)
    limit = policy.timeout_for(kind)
    try:
        with (
            heartbeat.beating(
                store, job_id, settings.job_heartbeat_s(), attempt=attempt, kind=kind, limit=limit
            ),
            watchdog.watching(job_id, attempt, kind, limit),
        ):
            outcome = body(writer)
    except LostJob as exc:
        log.warning("job %s attempt %d stopped: %s", job_id, attempt, exc)
        _no_huey_retry(task)
        return None
    except DeertrackError as exc:
        log.warning("job %s failed: %s", job_id, exc)
        store.fail(job_id, str(exc), attempt=attempt)
        return None
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc} (see the worker log for details)"
        most = min(attempt + remaining, policy.max_attempts())
        if attempt < most:
            store.retry(job_id, attempt + 1, most, text, attempt=attempt)
        else:
            store.fail(job_id, text, attempt=attempt)
            _no_huey_retry(task)
        raise  # Huey logs the traceback and schedules the retry
    if store.complete(
        job_id, outcome.result_path, outcome.result, outcome.message, attempt=attempt
    ):
        log.info("job %s completed: %s", job_id, outcome.message)
    return outcome


def _no_huey_retry(task: Any) -> None:
    if task is not None:
        task.retries = 0  # the job is over: Huey must not deliver it again


# --- the tasks ---------------------------------------------------------------------------------

EXPORT_RETRIES = 1
BACKFILL_RETRIES = 1
REMATCH_RETRIES = 0
INGEST_RETRIES = 0
SELFTEST_RETRIES = 2


def _export_body(params: dict[str, Any], job_id: str) -> Callable[[ProgressWriter], Outcome]:
    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.reports.build import build_export

        request = validate_export_request(params)
        out_dir = settings.export_dir() / job_id
        out_dir.mkdir(parents=True, exist_ok=True)
        path = Path(build_export(request, out_dir, progress=progress)).resolve()
        return Outcome(
            result_path=str(path),
            result={
                "report_type": request.report_type,
                "fmt": request.fmt,
                "file": path.name,
                "bytes": path.stat().st_size,
            },
            message=f"{request.report_type} ready: {path.name}",
        )

    return body


@huey.task(retries=EXPORT_RETRIES, retry_delay=5, context=True)
def export_task(job_id: str, params: dict[str, Any], task: Any = None) -> None:
    run_job(job_id, task, EXPORT_RETRIES, _export_body(params, job_id))


def _still_allowed(actor: dict[str, str] | None, action: str) -> None:
    """The worker checks again, as whoever queued the job (roles may have changed since)."""
    auth.require_url(None, auth.Actor.from_dict(actor), auth.ADMIN, action)


@huey.task(retries=BACKFILL_RETRIES, retry_delay=5, context=True)
def backfill_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.reid.backfill import backfill

        _still_allowed(actor, "start a similarity backfill")
        summary = backfill(progress=progress, **params)
        return Outcome(result=_summary(summary), message="backfill finished")

    run_job(job_id, task, BACKFILL_RETRIES, body)


@huey.task(retries=REMATCH_RETRIES, context=True)
def rematch_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core import db
        from deertrack_core.reid.drift import auto_apply
        from deertrack_core.reid.matching import match_pending

        _still_allowed(actor, "re-run matching")
        with db.session_scope() as session:  # opt-in: DEERTRACK_AUTO_THRESHOLD
            auto = auto_apply(session)
        summary = match_pending(progress=progress, **params)
        result = {**(_summary(summary) or {}), "auto_threshold": auto.reason}
        return Outcome(result=result, message="matching finished")

    run_job(job_id, task, REMATCH_RETRIES, body)


TRAIN_RETRIES = 0


@huey.task(retries=TRAIN_RETRIES, context=True)
def train_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    """Fine-tune a model version; progress says the epoch, the loss and the time left."""

    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.reid.finetune import train_version
        from deertrack_core.reid.train import TrainSettings

        _still_allowed(actor, "train a model")
        _confine(params)
        folder = params.get("folder")
        trained = train_version(
            actor=auth.Actor.from_dict(actor),
            folder=Path(folder) if folder else None,
            train_settings=TrainSettings(**params.get("settings", {})),
            holdout=float(params.get("holdout", 0.25)),
            later=float(params.get("later", 0.2)),
            progress=progress,
        )
        return Outcome(result=_summary(trained), message=f"stored model version {trained.name}")

    run_job(job_id, task, TRAIN_RETRIES, body)


@huey.task(retries=0, context=True)
def switch_model_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    """Promote a version or roll back: re-embed, re-score and re-match as one job."""

    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.reid import promote

        _still_allowed(actor, "switch the re-identification model")
        who = auth.Actor.from_dict(actor)
        if params["action"] == "promote":
            s = promote.promote(name=params["version"], actor=who, progress=progress)
        else:
            s = promote.rollback(actor=who, progress=progress)
        return Outcome(result=_summary(s), message=f"{s.action}: {s.model} active")

    run_job(job_id, task, 0, body)


@huey.task(retries=INGEST_RETRIES, context=True)
def ingest_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.ingest import import_detections, ingest_folder

        # The worker checks again, as whoever queued the job (roles may have changed since).
        who = auth.Actor.from_dict(actor)
        _confine(params)
        md_json = params.get("md_json")
        progress.scale = (0.0, 80.0 if md_json else 100.0)
        csv = params.get("deployments_csv")
        summary = ingest_folder(
            Path(params["folder"]),
            deployments_csv=Path(csv) if csv else None,
            layout=params.get("layout") or "auto",
            progress=progress,
            actor=who,
        )
        result: dict[str, Any] = {"ingest": _summary(summary)}
        if md_json:
            progress.scale = (80.0, 100.0)
            imported = import_detections(Path(md_json), progress=progress, actor=who)
            result["detections"] = _summary(imported)
        return Outcome(result=result, message="ingest finished")

    run_job(job_id, task, INGEST_RETRIES, body)


DETECT_RETRIES = 0


@huey.task(retries=DETECT_RETRIES, context=True)
def detect_task(
    job_id: str, params: dict[str, Any], task: Any = None, actor: dict[str, str] | None = None
) -> None:
    def body(progress: ProgressWriter) -> Outcome:
        from deertrack_core.detect.run import detect_pending

        _still_allowed(actor, "find animals with a detector")
        _confine(params)
        under = params.get("under")
        summary = detect_pending(
            detector=params.get("detector"), class_map=params.get("class_map"),
            threshold=params.get("threshold"), under=Path(under) if under else None,
            embed=bool(params.get("embed")), progress=progress,
            actor=auth.Actor.from_dict(actor),
        )  # fmt: skip
        message = f"{summary.boxes} boxes ({summary.animals} animals) on {summary.photos} photos"
        return Outcome(result=_summary(summary), message=message)

    run_job(job_id, task, DETECT_RETRIES, body)


@huey.task(retries=SELFTEST_RETRIES, retry_delay=0, context=True)
def selftest_task(job_id: str, params: dict[str, Any], task: Any = None) -> None:
    """A job that only sleeps and reports: checks a worker end to end (and tests the plumbing).

    ``seconds`` total run time over ``steps`` progress steps; the first ``fail_attempts``
    attempts raise ``RuntimeError``; ``user_error`` raises a ``JobError`` instead. ``stuck``
    makes the run hang without a word, to try the time limit: ``"sleep"`` waits forever,
    ``"native"`` spins in the regex engine, which never lets go of the interpreter.
    """

    def body(progress: ProgressWriter) -> Outcome:
        attempt = progress.attempt or 1
        if params.get("stuck") == "sleep":
            while True:
                time.sleep(1.0)
        if params.get("stuck") == "native":
            re.fullmatch(r"(a+)+$", "a" * 64 + "b")  # catastrophic backtracking: ~2**64 steps
        if params.get("user_error"):
            raise JobError(str(params["user_error"]), "This is a self-test; nothing to fix.")
        if attempt <= int(params.get("fail_attempts", 0)):
            raise RuntimeError(f"self-test failure on attempt {attempt}")
        steps = max(int(params.get("steps", 1)), 1)
        pause = float(params.get("seconds", 0.0)) / steps
        for step in range(steps):
            time.sleep(pause)
            progress(step + 1, steps, f"step {step + 1} of {steps}")
        return Outcome(result={"attempt": attempt, "steps": steps}, message="self-test passed")

    run_job(job_id, task, SELFTEST_RETRIES, body)


# --- producers ---------------------------------------------------------------------------------


def _submit(
    kind: str, task: Any, params: dict[str, Any], owner: auth.Actor, **task_kwargs: Any
) -> str:
    """Record the job as queued (with who asked) and put it on the queue."""
    store = get_store()
    job_id = store.create(kind, {**params, **auth.job_owner(owner)}).id
    try:
        task(job_id, params, **task_kwargs)
    except Exception as exc:
        store.fail(job_id, f"could not be queued: {exc}")
        raise JobError(
            f"The job queue is unreachable ({exc}).",
            "Check DEERTRACK_REDIS_URL (or DEERTRACK_HUEY_PATH) and that Redis is running.",
        ) from exc
    log.info("queued %s job %s", kind, job_id)
    return job_id


def check_export(data: Mapping[str, Any]) -> ExportRequest:
    """Validate an export request; named deployments are checked against the database."""
    request = validate_export_request(data)
    if request.deployments:
        from deertrack_core import db

        with db.session_scope() as session:
            request = validate_export_request(data, session=session)
    return request


def _allowed(
    actor: auth.Actor | None, role: auth.Role, action: str, name: str | None = None
) -> auth.Actor:
    return auth.require_url(None, actor, role, action, name=name or "")


def enqueue_export(data: Mapping[str, Any], *, actor: auth.Actor | None = None) -> str:
    """Validate ``data`` and queue the export; raises ``ValidationError`` and queues nothing.
    Any role may export."""
    actor = _allowed(actor, auth.VIEWER, "export reports")
    request = check_export(data)
    return _submit("export", export_task, request.as_dict(), actor)


def enqueue_backfill(
    *, model: str | None = None, run_id: str | None = None, actor: auth.Actor | None = None
) -> str:
    actor = _allowed(actor, auth.ADMIN, "start a similarity backfill")
    params = {k: v for k, v in {"model": model, "run_id": run_id}.items() if v is not None}
    return _submit("backfill", backfill_task, params, actor, actor=actor.as_dict())


def enqueue_rematch(*, actor: auth.Actor | None = None) -> str:
    actor = _allowed(actor, auth.ADMIN, "re-run matching")
    return _submit("rematch", rematch_task, {}, actor, actor=actor.as_dict())


def _confine(params: Mapping[str, Any]) -> None:
    """Folders and files of a queued ingest lie under the data root, whoever queued it: the
    queue is fed by the servers (dashboard, API)."""
    names = {"folder": "The photo folder", "md_json": "The detections file", "under": "The folder"}
    names["deployments_csv"] = "The deployments CSV"
    for key, what in names.items():
        if params.get(key):
            paths.within_data_root(Path(params[key]), what)


def enqueue_train(
    settings_: Mapping[str, Any] | None = None,
    *,
    folder: str | Path | None = None,
    holdout: float = 0.25,
    later: float = 0.2,
    user: str | None = None,
    actor: auth.Actor | None = None,
) -> str:
    """Validate the training settings and queue a training job (admins; nothing is queued when
    they are invalid). A training folder must lie under DEERTRACK_DATA_ROOT."""
    from deertrack_core.errors import ValidationError
    from deertrack_core.reid.train import TrainSettings

    actor = _allowed(actor, auth.ADMIN, "train a model", name=user)

    try:
        train_settings = TrainSettings(**dict(settings_ or {})).validate()
    except TypeError as exc:
        raise ValidationError({"settings": str(exc)}) from exc
    if not (0.0 <= holdout < 1.0 and 0.0 <= later < 1.0):
        raise ValidationError({"holdout/later": "fractions must be at least 0 and below 1"})
    params: dict[str, Any] = {
        "settings": train_settings.as_dict(),
        "holdout": holdout,
        "later": later,
        "user": actor.name,
    }
    if folder:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise ValidationError({"folder": f"{path} is not a folder of identity sub-folders"})
        params["folder"] = str(path)
        _confine(params)
    return _submit("train", train_task, params, actor, actor=actor.as_dict())


def enqueue_promote(
    version: str, *, user: str | None = None, actor: auth.Actor | None = None
) -> str:
    """Queue the promotion of ``version`` (or ``latest``), which must exist (admins)."""
    from deertrack_core import db
    from deertrack_core.reid.versions import get_version

    actor = _allowed(actor, auth.ADMIN, "promote a model version", name=user)
    with db.session_scope() as session:
        name = get_version(session, version).name
    params = {"action": "promote", "version": name, "user": actor.name}
    return _submit("promote", switch_model_task, params, actor, actor=actor.as_dict())


def enqueue_rollback(*, user: str | None = None, actor: auth.Actor | None = None) -> str:
    """Queue a rollback to the previous model and its threshold (admins)."""
    actor = _allowed(actor, auth.ADMIN, "roll back the model", name=user)
    params = {"action": "rollback", "user": actor.name}
    return _submit("rollback", switch_model_task, params, actor, actor=actor.as_dict())


def enqueue_ingest(
    folder: str | Path,
    md_json: str | Path | None = None,
    *,
    deployments_csv: str | Path | None = None,
    layout: str = "auto",
    actor: auth.Actor | None = None,
) -> str:
    """Queue an ingest (admins); every path must lie under DEERTRACK_DATA_ROOT, and the layout
    and the deployments CSV are checked first (as the CLI does)."""
    from deertrack_core.ingest.layout import Locator, read_deployments_csv

    actor = _allowed(actor, auth.ADMIN, "ingest photos")
    params: dict[str, Any] = {"folder": str(Path(folder).resolve())}
    if layout and layout != "auto":
        params["layout"] = layout
    if md_json:
        params["md_json"] = str(Path(md_json).resolve())
    if deployments_csv:
        params["deployments_csv"] = str(Path(deployments_csv).resolve())
    _confine(params)  # before anything looks inside the folder
    Locator(Path(folder), layout)  # raises IngestError naming the layouts there are
    if deployments_csv:
        read_deployments_csv(Path(deployments_csv))  # a bad row is named before anything runs
    return _submit("ingest", ingest_task, params, actor, actor=actor.as_dict())


def enqueue_detect(
    *,
    detector: str | None = None,
    class_map: str | None = None,
    threshold: float | None = None,
    under: str | Path | None = None,
    embed: bool = False,
    actor: auth.Actor | None = None,
) -> str:
    """Queue a detector run over the photos it has not seen (admins); the detector (its file)
    and the threshold are checked first, and nothing is queued when they are wrong."""
    from deertrack_core.detect.registry import check_name
    from deertrack_core.errors import ValidationError

    actor = _allowed(actor, auth.ADMIN, "find animals with a detector")
    name = check_name(detector)
    if threshold is not None and not 0.0 < float(threshold) <= 1.0:
        raise ValidationError({"threshold": f"{threshold} is not between 0 (excluded) and 1"})
    params: dict[str, Any] = {"detector": name, "embed": bool(embed)}
    if class_map:
        params["class_map"] = class_map
    if threshold is not None:
        params["threshold"] = float(threshold)
    if under:
        params["under"] = str(Path(under).resolve())
    _confine(params)
    return _submit("detect", detect_task, params, actor, actor=actor.as_dict())


def enqueue_selftest(
    seconds: float = 0.0,
    steps: int = 1,
    *,
    fail_attempts: int = 0,
    user_error: str = "",
    stuck: str = "",
    actor: auth.Actor | None = None,
) -> str:
    actor = _allowed(actor, auth.ADMIN, "run a self-test job")
    if stuck not in ("", "sleep", "native"):
        raise ValidationError({"stuck": f"{stuck!r} is not a way to hang; use sleep or native"})
    params = {
        "seconds": seconds,
        "steps": steps,
        "fail_attempts": fail_attempts,
        "user_error": user_error,
    }
    if stuck:
        params["stuck"] = stuck
    return _submit("selftest", selftest_task, params, actor)


def queue_length() -> int:
    """Tasks waiting in the queue (not yet picked up by a worker)."""
    return huey.pending_count()
