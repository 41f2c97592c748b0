"""How long jobs may run, how often they are started, how long their records stay.

Read from the settings each time (tests and operators change them without restarting anything):
``DEERTRACK_JOB_TIMEOUT_S`` with per-kind overrides in ``DEERTRACK_JOB_TIMEOUTS``,
``DEERTRACK_JOB_ATTEMPTS`` and ``DEERTRACK_JOB_KEEP_S``.
"""

from __future__ import annotations

import re

from deertrack_core import settings
from deertrack_core.errors import ConfigurationError

_KIND = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def timeouts_by_kind(text: str | None = None) -> dict[str, float]:
    """Parse ``kind=seconds,kind=seconds`` (``DEERTRACK_JOB_TIMEOUTS``); refuses anything else."""
    text = settings.job_timeouts() if text is None else text
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, value = part.partition("=")
        kind = kind.strip()
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not _KIND.fullmatch(kind) or not seconds > 0:
            raise ConfigurationError(
                f"DEERTRACK_JOB_TIMEOUTS has {part!r}, which is not kind=seconds.",
                "Write it as e.g. ingest=43200,backfill=43200 (seconds > 0), or unset it.",
            )
        out[kind] = seconds
    return out


def timeout_for(kind: str) -> float:
    """Seconds a job of ``kind`` may run before it is failed as timed out."""
    return timeouts_by_kind().get(kind, settings.job_timeout_s())


def timeout_message(seconds: float, kind: str) -> str:
    where = "DEERTRACK_JOB_TIMEOUTS" if kind in timeouts_by_kind() else "DEERTRACK_JOB_TIMEOUT_S"
    return (
        f"timed out: still running after its limit of {seconds:.0f} s, so it was stopped "
        f"(its worker restarted). If the job needs longer, raise {where}; if it should have been "
        "quick, the worker log shows where it got stuck"
    )


def max_attempts() -> int:
    return settings.job_attempts()


def keep_s() -> int:
    return settings.job_keep_s()


# --- what the life cycle says about jobs that did not end by themselves -------------------------


def stale_message(seconds: float) -> str:
    return (
        f"worker stopped responding (no heartbeat for {seconds:.0f} s); a running worker "
        "queues the job again (up to DEERTRACK_JOB_ATTEMPTS starts); if none runs, start one "
        "with `deertrack worker`"
    )


def retry_message(next_attempt: int, attempts: int, error: str) -> str:
    return f"retrying (attempt {next_attempt} of {attempts}) after: {error}"


def dead_worker_reason(silent_s: float) -> str:
    return (
        f"its worker stopped (no heartbeat for {silent_s:.0f} s: stopped, killed, out of memory "
        "or its host lost)"
    )


def gave_up_message(reason: str, attempts: int) -> str:
    return (
        f"{reason}; it was started {attempts} times (DEERTRACK_JOB_ATTEMPTS), so it is not "
        "started again. The worker log and the host's kernel log (out of memory?) say why; "
        "queue the job again once that is fixed"
    )


def late_message(reason: str) -> str:
    return (
        f"{reason}; no worker took it over in time (it already read as failed), so it is not "
        "started again; queue it again if it is still wanted"
    )
