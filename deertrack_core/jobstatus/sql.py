"""Job status in the ``jobs`` table of the DeerTrack database (the embedded default).

Times are stored naive UTC (as every DeerTrack table does) and read back timezone-aware. Every
row has ``expires_at`` (a week after it was queued, ``DEERTRACK_JOB_KEEP_S`` after it ended): a
row past it reads as gone at once and :meth:`~SqlJobStatusStore.prune` deletes it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import (
    FIELDS,
    PROCESSING,
    TIME_FIELDS,
    LifecycleStore,
    now_utc,
)

log = logging.getLogger(__name__)

#: Database URLs already seen to have the DeerTrack schema (checked once per process).
_SCHEMA_CHECKED: set[str] = set()


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _to_row(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _naive(v) if isinstance(v, dt.datetime) else v for k, v in fields.items()}


def _from_row(job: Any) -> dict[str, Any]:
    out = {name: getattr(job, name) for name in FIELDS}
    for name in TIME_FIELDS:
        if out[name] is not None:
            out[name] = out[name].replace(tzinfo=dt.UTC)
    return out


class SqlJobStatusStore(LifecycleStore):
    """Job status in the ``jobs`` table of the DeerTrack database."""

    def __init__(self, url: str | None = None, *, stale_s: float | None = None) -> None:
        self.url = url or settings.database_url()
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()
        self.keep_s = settings.job_keep_s()

    def _session(self):
        """A transaction on the database, which is checked once per process for the schema."""
        from deertrack_core import db

        if self.url not in _SCHEMA_CHECKED:
            db.require_schema(db.get_engine(self.url))
            _SCHEMA_CHECKED.add(self.url)
        return db.session_scope(self.url)

    def _insert(self, job_id: str, fields: dict[str, Any], expire_in: int) -> None:
        from deertrack_core.models import Job

        with self._session() as session:
            session.add(Job(**_to_row(fields), expires_at=_expiry(expire_in)))

    def _update(self, job_id: str, fields: dict[str, Any], expire_in: int | None = None) -> None:
        from deertrack_core.models import Job

        values = _to_row(fields)
        if expire_in is not None:
            values["expires_at"] = _expiry(expire_in)
        with self._session() as session:
            job = session.get(Job, job_id)
            if job is None or _expired(job):
                log.warning("job %s is not in the jobs table; status update dropped", job_id)
                return
            for key, value in values.items():
                setattr(job, key, value)

    def _swap(
        self,
        job_id: str,
        fields: dict[str, Any],
        *,
        expect: Mapping[str, Any],
        silent_before: dt.datetime | None = None,
        expire_in: int | None = None,
    ) -> bool:
        from sqlalchemy import update

        from deertrack_core.models import Job

        values = _to_row(fields)
        if expire_in is not None:
            values["expires_at"] = _expiry(expire_in)
        # One UPDATE ... WHERE: the database settles two workers racing for the same row.
        query = update(Job).where(Job.id == job_id, _alive())
        query = query.where(*(getattr(Job, k) == v for k, v in _to_row(expect).items()))
        if silent_before is not None:
            query = query.where(_last_beat() < _naive(silent_before))
        with self._session() as session:
            done = session.execute(
                query.values(**values).execution_options(synchronize_session=False)
            )
            return done.rowcount == 1

    def _read(self, job_id: str) -> dict[str, Any] | None:
        from deertrack_core.models import Job

        with self._session() as session:
            job = session.get(Job, job_id)
            return _from_row(job) if job is not None and not _expired(job) else None

    def _recent(self, limit: int, kind: str | None) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from deertrack_core.models import Job

        query = select(Job).where(_alive()).order_by(Job.created_at.desc(), Job.id.desc())
        if kind:
            query = query.where(Job.kind == kind)
        with self._session() as session:
            return [_from_row(job) for job in session.scalars(query.limit(limit))]

    def _silent(self, before: dt.datetime) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from deertrack_core.models import Job

        query = select(Job).where(Job.status == PROCESSING, _alive(), _last_beat() < _naive(before))
        with self._session() as session:
            return [_from_row(job) for job in session.scalars(query.order_by(Job.created_at))]

    def _prune(self, now: dt.datetime) -> int:
        from sqlalchemy import delete

        from deertrack_core.models import Job

        with self._session() as session:
            gone = session.execute(
                delete(Job)
                .where(Job.expires_at <= _naive(now))
                .execution_options(synchronize_session=False)
            )
            return gone.rowcount


def _expiry(seconds: int) -> dt.datetime:
    return _naive(now_utc() + dt.timedelta(seconds=seconds))


def _expired(job: Any) -> bool:
    return job.expires_at is not None and job.expires_at <= _naive(now_utc())


def _alive():
    """Rows not yet expired (what Redis's key TTL does for the other store)."""
    from sqlalchemy import or_

    from deertrack_core.models import Job

    return or_(Job.expires_at.is_(None), Job.expires_at > _naive(now_utc()))


def _last_beat():
    from sqlalchemy import func

    from deertrack_core.models import Job

    return func.coalesce(Job.heartbeat_at, Job.started_at)
