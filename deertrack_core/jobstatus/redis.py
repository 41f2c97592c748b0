"""Job status in Redis: hash ``<prefix>job:<id>``, index ``<prefix>jobs`` (by creation time).

A finished job's hash expires an hour after it ends; one never picked up after a week. Values are
strings: times as Unix seconds, dicts as JSON, None as the empty string.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import TIME_FIELDS, UNFINISHED_TTL_S, LifecycleStore

log = logging.getLogger(__name__)

_JSON_FIELDS = ("params", "result")


def _encode(fields: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in fields.items():
        if value is None:
            out[key] = ""
        elif isinstance(value, dt.datetime):
            out[key] = repr(value.timestamp())
        elif key in _JSON_FIELDS:
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out


def _decode(raw: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(raw)
    for name in TIME_FIELDS:
        value = raw.get(name)
        out[name] = dt.datetime.fromtimestamp(float(value), dt.UTC) if value else None
    for name in _JSON_FIELDS:
        value = raw.get(name)
        out[name] = json.loads(value) if value else None
    return out


class RedisJobStatusStore(LifecycleStore):
    """Job status in Redis (many workers on many hosts see one status)."""

    def __init__(
        self, redis_url: str, *, prefix: str | None = None, stale_s: float | None = None
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix if prefix is not None else f"{settings.queue_name()}:"
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()
        self.index = f"{self.prefix}jobs"

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _insert(self, job_id: str, fields: dict[str, Any]) -> None:
        key = self._key(job_id)
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=_encode(fields))
        pipe.expire(key, UNFINISHED_TTL_S)
        pipe.zadd(self.index, {job_id: fields["created_at"].timestamp()})
        pipe.execute()

    def _update(self, job_id: str, fields: dict[str, Any], expire_in: int | None = None) -> None:
        key = self._key(job_id)
        if not self.client.exists(key):
            log.warning("job %s is not in Redis (expired?); status update dropped", job_id)
            return
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=_encode(fields))
        if expire_in is not None:
            pipe.expire(key, expire_in)
        pipe.execute()

    def _read(self, job_id: str) -> dict[str, Any] | None:
        raw = self.client.hgetall(self._key(job_id))
        return _decode(raw) if raw else None

    def _recent(self, limit: int, kind: str | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        gone: list[str] = []
        start = 0
        batch = max(limit, 20)
        while len(found) < limit:
            ids = self.client.zrevrange(self.index, start, start + batch - 1)
            if not ids:
                break
            pipe = self.client.pipeline()
            for job_id in ids:
                pipe.hgetall(self._key(job_id))
            for job_id, raw in zip(ids, pipe.execute(), strict=True):
                if not raw:
                    gone.append(job_id)
                elif kind is None or raw.get("kind") == kind:
                    found.append(_decode(raw))
            start += batch
        if gone:  # expired hashes: drop them from the index too
            self.client.zrem(self.index, *gone)
        return found[:limit]
