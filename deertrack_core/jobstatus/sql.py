"""Job status in the ``jobs`` table of the DeerTrack database (the embedded default).

Times are stored naive UTC (as every DeerTrack table does) and read back timezone-aware; a
finished job's row gets ``expires_at``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import FIELDS, TIME_FIELDS, LifecycleStore, now_utc

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

    def _session(self):
        """A transaction on the database, which is checked once per process for the schema."""
        from deertrack_core import db

        if self.url not in _SCHEMA_CHECKED:
            db.require_schema(db.get_engine(self.url))
            _SCHEMA_CHECKED.add(self.url)
        return db.session_scope(self.url)

    def _insert(self, job_id: str, fields: dict[str, Any]) -> None:
        from deertrack_core.models import Job

        with self._session() as session:
            session.add(Job(**_to_row(fields)))

    def _update(self, job_id: str, fields: dict[str, Any], expire_in: int | None = None) -> None:
        from deertrack_core.models import Job

        values = _to_row(fields)
        if expire_in is not None:
            values["expires_at"] = _naive(now_utc() + dt.timedelta(seconds=expire_in))
        with self._session() as session:
            job = session.get(Job, job_id)
            if job is None:
                log.warning("job %s is not in the jobs table; status update dropped", job_id)
                return
            for key, value in values.items():
                setattr(job, key, value)

    def _read(self, job_id: str) -> dict[str, Any] | None:
        from deertrack_core.models import Job

        with self._session() as session:
            job = session.get(Job, job_id)
            return _from_row(job) if job is not None else None

    def _recent(self, limit: int, kind: str | None) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from deertrack_core.models import Job

        query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        if kind:
            query = query.where(Job.kind == kind)
        with self._session() as session:
            return [_from_row(job) for job in session.scalars(query)]
