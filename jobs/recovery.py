"""Putting a job whose worker died back on the queue, as it was first queued.

The watchdog (:mod:`jobs.watchdog`) decides, atomically in the status store, that a job runs
again; :func:`requeue` then hands it to the queue with the arguments of its first run, rebuilt
from the job's record: the recorded parameters without who asked, and that person as the actor
for the tasks that check roles. A new kind of job is recovered once its task is in
:data:`TASKS` (and in :data:`ACTED_KINDS` when the task takes ``actor``); a kind missing here is
failed instead of run again.
"""

from __future__ import annotations

from typing import Any

from deertrack_core import auth
from deertrack_core.errors import JobError
from deertrack_core.jobstatus import JobState
from jobs import tasks

#: The task of each kind of job.
TASKS: dict[str, Any] = {
    "export": tasks.export_task,
    "backfill": tasks.backfill_task,
    "rematch": tasks.rematch_task,
    "ingest": tasks.ingest_task,
    "detect": tasks.detect_task,
    "train": tasks.train_task,
    "promote": tasks.switch_model_task,
    "rollback": tasks.switch_model_task,
    "selftest": tasks.selftest_task,
}
#: Kinds whose task takes the actor who queued the job.
ACTED_KINDS = frozenset({"backfill", "rematch", "ingest", "detect", "train", "promote", "rollback"})


def _job_params(job: JobState) -> dict[str, Any]:
    """What the task was first queued with: the recorded parameters without who asked."""
    owner = (auth.REQUESTED_BY, auth.REQUESTED_VIA)
    return {k: v for k, v in (job.params or {}).items() if k not in owner}


def _owner_actor(job: JobState) -> dict[str, str] | None:
    """The actor a job was queued by, from its record. A user's role is read again from the
    database when the task checks it; the local and console actors are admins by definition."""
    params = job.params or {}
    name, kind = params.get(auth.REQUESTED_BY), params.get(auth.REQUESTED_VIA)
    if not name or kind not in auth.KINDS:
        return None
    role = auth.VIEWER if kind == "user" else auth.ADMIN
    return {"name": str(name), "role": role.value, "kind": kind}


def requeue(job: JobState) -> None:
    """Put ``job`` (recovered from a dead worker, its record already queued for the next
    attempt) back on the queue."""
    task = TASKS.get(job.kind)
    if task is None:
        raise JobError(
            f"Jobs of kind {job.kind!r} cannot be queued again by a worker.",
            "Queue the job again by hand.",
        )
    kwargs = {"actor": _owner_actor(job)} if job.kind in ACTED_KINDS else {}
    task(job.id, _job_params(job), **kwargs)
