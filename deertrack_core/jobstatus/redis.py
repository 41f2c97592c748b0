"""Job status in Redis: hash ``<prefix>job:<id>``, index ``<prefix>jobs`` (by creation time),
set ``<prefix>running`` (the processing jobs, for finding those whose worker died).

A finished job's hash expires ``DEERTRACK_JOB_KEEP_S`` (an hour) after it ends; one never picked up
after a week. Values are strings: times as Unix seconds, dicts as JSON, None as the empty string.
Conditional writes run as one Lua script, so two workers racing for a job cannot both win.
Every connection has connect and read timeouts (``DEERTRACK_REDIS_TIMEOUT_S``): a hung Redis
raises ``redis.TimeoutError`` (the API's 503), never hangs the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from deertrack_core import settings
from deertrack_core.jobstatus.lifecycle import TIME_FIELDS, LifecycleStore

log = logging.getLogger(__name__)

_JSON_FIELDS = ("params", "result")

# KEYS: the job's hash, the running set. ARGV: job id, silent_before ('' = any), expire_in
# ('' = keep), the number of expected fields, then expected name/value pairs, then the new ones.
# Returns -1 (no such job), 0 (not as expected) or 1 (written).
_SWAP = """
local key, running = KEYS[1], KEYS[2]
if redis.call('EXISTS', key) == 0 then return -1 end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  local have = redis.call('HGET', key, ARGV[5 + 2 * i]) or ''
  if have ~= ARGV[6 + 2 * i] then return 0 end
end
if ARGV[2] ~= '' then
  local beat = redis.call('HGET', key, 'heartbeat_at')
  if not beat or beat == '' then beat = redis.call('HGET', key, 'started_at') end
  if beat and beat ~= '' and tonumber(beat) >= tonumber(ARGV[2]) then return 0 end
end
local fields, status = {}, nil
for i = 5 + 2 * n, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'status' then status = ARGV[i + 1] end
end
redis.call('HSET', key, unpack(fields))
if ARGV[3] ~= '' then redis.call('EXPIRE', key, tonumber(ARGV[3])) end
if status == 'processing' then redis.call('SADD', running, ARGV[1])
elseif status then redis.call('SREM', running, ARGV[1]) end
return 1
"""


def connection_options() -> dict[str, Any]:
    """Keyword arguments for every Redis connection DeerTrack opens (status store, queue)."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    timeout = settings.redis_timeout_s()
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        # One quick retry for a dropped connection; a dead server is reported, not waited out.
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.1), 1),
        "health_check_interval": 30,
    }


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

        self.client = redis.Redis.from_url(redis_url, decode_responses=True, **connection_options())
        self.prefix = prefix if prefix is not None else f"{settings.queue_name()}:"
        self.stale_s = stale_s if stale_s is not None else settings.job_stale_s()
        self.keep_s = settings.job_keep_s()
        self.index = f"{self.prefix}jobs"
        self.running = f"{self.prefix}running"
        self._script = self.client.register_script(_SWAP)

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _insert(self, job_id: str, fields: dict[str, Any], expire_in: int) -> None:
        key = self._key(job_id)
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=_encode(fields))
        pipe.expire(key, expire_in)
        pipe.zadd(self.index, {job_id: fields["created_at"].timestamp()})
        pipe.execute()

    def _run_swap(
        self,
        job_id: str,
        fields: dict[str, Any],
        expect: Mapping[str, Any],
        silent_before: dt.datetime | None,
        expire_in: int | None,
    ) -> int:
        wanted = _encode(expect)
        args: list[str] = [
            job_id,
            repr(silent_before.timestamp()) if silent_before is not None else "",
            str(int(expire_in)) if expire_in is not None else "",
            str(len(wanted)),
        ]
        for pairs in (wanted, _encode(fields)):
            for name, value in pairs.items():
                args += [name, value]
        return int(self._script(keys=[self._key(job_id), self.running], args=args))

    def _update(self, job_id: str, fields: dict[str, Any], expire_in: int | None = None) -> None:
        if self._run_swap(job_id, fields, {}, None, expire_in) < 0:
            log.warning("job %s is not in Redis (expired?); status update dropped", job_id)

    def _swap(
        self,
        job_id: str,
        fields: dict[str, Any],
        *,
        expect: Mapping[str, Any],
        silent_before: dt.datetime | None = None,
        expire_in: int | None = None,
    ) -> bool:
        return self._run_swap(job_id, fields, expect, silent_before, expire_in) == 1

    def _silent(self, before: dt.datetime) -> list[dict[str, Any]]:
        ids = sorted(self.client.smembers(self.running))
        pipe = self.client.pipeline()
        for job_id in ids:
            pipe.hgetall(self._key(job_id))
        found, gone = [], []
        for job_id, raw in zip(ids, pipe.execute(), strict=True):
            if not raw:  # expired; a job that merely changed state leaves the set itself
                gone.append(job_id)
                continue
            if raw.get("status") != "processing":
                continue
            fields = _decode(raw)
            beat = fields["heartbeat_at"] or fields["started_at"]
            if beat is None or beat < before:
                found.append(fields)
        if gone:
            self.client.srem(self.running, *gone)
        return found

    def _prune(self, now: dt.datetime) -> int:
        """Hashes expire by themselves (key TTL); their ids leave the index and the running set
        here. Returns how many left the index."""
        index_ids = [job_id for job_id, _ in self.client.zscan_iter(self.index, count=500)]
        self._drop_gone(self.running, list(self.client.sscan_iter(self.running, count=500)))
        return self._drop_gone(self.index, index_ids)

    def _drop_gone(self, name: str, ids: list[str]) -> int:
        remove = self.client.zrem if name == self.index else self.client.srem
        removed = 0
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            pipe = self.client.pipeline()
            for job_id in batch:
                pipe.exists(self._key(job_id))
            gone = [j for j, there in zip(batch, pipe.execute(), strict=True) if not there]
            if gone:
                removed += remove(name, *gone)
        return removed

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
