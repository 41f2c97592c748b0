"""Background jobs from the dashboard: the status store, enqueueing, a polling progress bar."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from types import ModuleType
from typing import Any

import streamlit as st

from deertrack_core import auth
from deertrack_core.jobstatus import JobState, JobStatusStore, get_store
from ui import resources

FINAL = ("completed", "failed")


def store() -> JobStatusStore:
    return get_store()


class _AsSignedIn:
    """``jobs.tasks`` whose ``enqueue_*`` functions run as the signed-in actor (the core checks
    the role when the job is queued, and the worker again when it runs)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if name.startswith("enqueue_") and callable(value):
            return functools.partial(value, actor=resources.actor())
        return value


def tasks() -> Any:
    """The enqueue functions (``jobs.tasks``), imported when a screen first enqueues; each is
    called as the signed-in actor."""
    from jobs import tasks as job_tasks

    return _AsSignedIn(job_tasks)


def _visible(state: JobState) -> bool:
    """Admins (and the laptop mode) see every job; others only the jobs they queued."""
    who = resources.actor()
    return who is None or auth.may_see_job(who, state.params)


def recent(limit: int = 20, kind: str | None = None) -> list[JobState]:
    who = resources.actor()
    scan = limit * (3 if kind else 1) if who is None or who.may(auth.ADMIN) else 1000
    jobs = [j for j in store().list_recent(limit=scan) if _visible(j)]
    if kind:
        jobs = [j for j in jobs if j.kind == kind]
    return jobs[:limit]


def get(job_id: str) -> JobState | None:
    """The job, or ``None`` when it is unknown or someone else's (for a non-admin)."""
    state = store().get(job_id)
    return state if state is not None and _visible(state) else None


def fraction(state: Any) -> float:
    pct = float(getattr(state, "percent", 0.0) or 0.0)  # the store keeps 0-100 %
    return 1.0 if state.status == "completed" else min(max(pct / 100.0, 0.0), 1.0)


def label(state: Any) -> str:
    text = f"{state.status} — {state.message}" if state.message else state.status
    if state.status == "queued" and state.created_at is not None:
        created = state.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        waited = dt.datetime.now(dt.UTC) - created
        if waited > dt.timedelta(seconds=15):
            text += " (no worker has picked it up yet — is `deertrack worker` running?)"
    return text


@st.fragment(run_every=1.0)
def _poll(job_id: str) -> None:
    state = get(job_id)
    if state is None:
        st.warning(f"Job {job_id} is no longer known (job status expires after an hour).")
        return
    st.progress(fraction(state), text=label(state))
    if state.status in FINAL:
        st.rerun(scope="app")


def follow(job_id: str) -> Any | None:
    """Show a job's progress; polls every second until it finishes. Returns its latest state."""
    state = get(job_id)
    if state is None:
        st.warning(f"Job {job_id} is no longer known (job status expires after an hour).")
        return None
    if state.status == "completed":
        st.success(f"Done: {state.message or state.kind}", icon=":material/check_circle:")
    elif state.status == "failed":
        st.error(f"**The job failed.** {state.error or state.message}", icon=":material/error:")
    else:
        _poll(job_id)
    return state


def table(states: list[Any]) -> list[dict]:
    return [
        {
            "job": s.id[:8],
            "kind": s.kind,
            "status": s.status,
            "progress": fraction(s),
            "message": s.error or s.message,
            "created": s.created_at,
            "finished": s.finished_at,
        }
        for s in states
    ]


PROGRESS_COLUMN = st.column_config.ProgressColumn(
    "progress", min_value=0.0, max_value=1.0, width="small"
)
#: Column widths and formats, so no column of a job table is cut ("finished", dates).
COLUMNS = {
    "job": st.column_config.TextColumn("job", width="small"),
    "kind": st.column_config.TextColumn("kind", width="small"),
    "status": st.column_config.TextColumn("status", width="small"),
    "progress": PROGRESS_COLUMN,
    "message": st.column_config.TextColumn("message", width="large"),
    # Dates sized to their content: a set width cut them short.
    "created": st.column_config.DatetimeColumn("created", format="D MMM HH:mm:ss"),
    "finished": st.column_config.DatetimeColumn("finished", format="D MMM HH:mm:ss"),
}


def table_view(states: list[Any], columns: list[str] | None = None) -> None:
    """Jobs as a table with every column readable (widths set, dates short)."""
    import pandas as pd

    df = pd.DataFrame(table(states))
    if columns:
        df = df[columns]
    st.dataframe(df, hide_index=True, width="stretch", column_config=COLUMNS)


def queue_status() -> None:
    """How many tasks wait for a worker (or that the queue cannot be reached)."""
    try:
        st.metric("Tasks waiting for a worker", tasks().queue_length())
    except Exception:  # noqa: BLE001 - an unreachable queue is shown, not raised
        st.metric("Tasks waiting for a worker", "?")
        st.caption("The job queue cannot be reached.")


def workers_line() -> None:
    """Whether a worker is alive (its heartbeat is fresh), so a queued job is known to run."""
    from deertrack_core.jobstatus.workers import registry

    try:
        alive = registry().alive()
    except Exception as exc:  # noqa: BLE001 - say we cannot tell, do not fail the page
        st.warning(f"Cannot tell whether a worker is running ({exc}).", icon=":material/help:")
        return
    if not alive:
        st.warning(
            "**No worker is running**: queued jobs wait until one starts (`deertrack worker`; "
            "`make run` starts one).",
            icon=":material/power_off:",
        )
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    names = ", ".join(
        f"{w.id} ({w.threads} thread{'s' if w.threads > 1 else ''}, beat {w.age_s(now):.0f} s ago)"
        for w in sorted(alive, key=lambda w: w.id)
    )
    st.markdown(f":green[:material/check_circle:] **{len(alive)} worker"
                f"{'s' if len(alive) > 1 else ''} alive**: {names}")  # fmt: skip


def download(state: Any, key: str) -> None:
    """A download button for a completed export's file (or why there is none): only a regular
    file inside the job's own export folder is served, whatever its record says."""
    from deertrack_core.errors import NotFoundError
    from deertrack_core.reports.delivery import open_export

    try:
        export = open_export(state.id, state.result_path)
    except NotFoundError:
        st.caption("The result file is no longer on the server.")
        return
    with export.file:
        data = export.file.read()
    suffix = Path(export.name).suffix.lower()
    mime = {".pdf": "application/pdf", ".csv": "text/csv", ".zip": "application/zip"}
    st.download_button(
        f"Download {export.name} ({export.size / 1024:,.0f} KB)",
        data=data,
        file_name=export.name,
        mime=mime.get(suffix, "application/octet-stream"),
        key=key,
        icon=":material/download:",
        type="primary",
    )


def first_completion(state: Any) -> bool:
    """True on the first run of this session that sees the job completed (then False), so a page
    refreshes its cached reads once after a job, not on every later run."""
    if state is None or state.status != "completed":
        return False
    done = st.session_state.setdefault("jobs_seen_completed", set())
    if state.id in done:
        return False
    done.add(state.id)
    return True
