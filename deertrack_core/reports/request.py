"""Validated export requests: the one gate every export passes before anything is enqueued.

:func:`validate_export_request` turns a plain mapping (a JSON body, a form, CLI flags) into an
:class:`ExportRequest` or raises :class:`~deertrack_core.errors.ValidationError` listing *every*
problem at once, each message naming the field and the fix. It is pure and fast (no database)
unless deployments are named and a session is given to check that they exist.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deertrack_core.errors import ValidationError

#: Report type -> output format family.
FORMAT_OF: dict[str, str] = {
    "seasonal_activity": "pdf",
    "individual_history": "pdf",
    "camera_summary": "pdf",
    "detections_csv": "csv",
    "record_table_csv": "csv",
    "camtrap_dp": "zip",
    # capture histories for secr, MARK and camtrapR-style occupancy tools
    "secr_capthist": "zip",
    "mark_inp": "inp",
    "detection_history": "zip",
    # every logged similarity score, for analysis elsewhere
    "scores_csv": "csv",
    "scores_parquet": "parquet",
    "megadetector_json": "json",
}
#: Report types that export logged similarity scores (the only ones ``model``/``run_id`` filter).
SCORE_TYPES: tuple[str, ...] = ("scores_csv", "scores_parquet")
REPORT_TYPES: tuple[str, ...] = tuple(FORMAT_OF)
GROUP_BY: tuple[str, ...] = ("day", "week", "month")
FIELDS: tuple[str, ...] = (
    "report_type",
    "start_date",
    "end_date",
    "group_by",
    "deployments",
    "independence_minutes",
    "confirmed_only",
    "model",
    "run_id",
)
DEFAULT_GROUP_BY = "week"
#: camtrapR's customary minDeltaTime for independent events.
DEFAULT_INDEPENDENCE_MINUTES = 30.0
#: No trail camera predates 1990; a date far beyond next year is a typo that would overflow the
#: date arithmetic of the reports (9999-12-31 + one day).
EARLIEST_DATE = dt.date(1990, 1, 1)
#: More deployment ids than any archive holds: a longer list is an abuse of the API.
MAX_DEPLOYMENTS = 10_000
#: An independence interval longer than a year would merge a whole season into one event.
MAX_INDEPENDENCE_MINUTES = 366 * 24 * 60


MAX_ID = 2**31 - 1  # deployments.id is a 32-bit integer


def _shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut short: messages never echo a huge input back."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def latest_date(today: dt.date | None = None) -> dt.date:
    """The last date a request may name: 31 December of next year."""
    return dt.date((today or dt.date.today()).year + 1, 12, 31)


@dataclass(frozen=True)
class ExportRequest:
    """A checked export request. ``fmt`` ("pdf", "csv" or "zip") follows from ``report_type``.

    ``start_date``/``end_date`` are inclusive; ``None`` means "from the first" / "to the last"
    photo. An empty ``deployments`` tuple means all deployments.
    """

    report_type: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    group_by: str = DEFAULT_GROUP_BY
    deployments: tuple[int, ...] = ()
    independence_minutes: float = DEFAULT_INDEPENDENCE_MINUTES
    #: count only identities a reviewer set (default: confirmed and automatic ones)
    confirmed_only: bool = False
    model: str | None = None  # scores exports: one embedding model
    run_id: str | None = None  # scores exports: one matching or backfill run
    fmt: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fmt", FORMAT_OF[self.report_type])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``validate_export_request(r.as_dict())`` gives ``r`` back."""
        return {
            "report_type": self.report_type,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "group_by": self.group_by,
            "deployments": list(self.deployments),
            "independence_minutes": self.independence_minutes,
            "confirmed_only": self.confirmed_only,
            "model": self.model,
            "run_id": self.run_id,
        }


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str | None:
    if isinstance(value, str) and value in choices:
        return value
    return None


def _date(value: Any, name: str, problems: dict[str, str]) -> dt.date | None:
    if value is None or value == "":
        return None
    parsed: dt.date | None = None
    if isinstance(value, dt.datetime):
        parsed = value.date()
    elif isinstance(value, dt.date):
        parsed = value
    elif isinstance(value, str) and len(value) == 10:
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            pass
    if parsed is None:
        problems[name] = f"{name} must be an ISO date like 2024-06-01 (got {_shown(value)})"
        return None
    last = latest_date()
    if not EARLIEST_DATE <= parsed <= last:
        problems[name] = (
            f"{name} must lie between {EARLIEST_DATE.isoformat()} and {last.isoformat()} "
            f"(got {parsed.isoformat()})"
        )
        return None
    return parsed


def _minutes(value: Any, problems: dict[str, str]) -> float:
    name = "independence_minutes"
    if value is None or value == "":
        return DEFAULT_INDEPENDENCE_MINUTES
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        problems[name] = f"{name} must be a number of minutes, 0 or more (got {_shown(value)})"
        return DEFAULT_INDEPENDENCE_MINUTES
    if number < 0:
        problems[name] = f"{name} must be 0 or more (got {value!r}); 0 counts every detection"
        return DEFAULT_INDEPENDENCE_MINUTES
    if number > MAX_INDEPENDENCE_MINUTES:
        problems[name] = (
            f"{name} must be at most {MAX_INDEPENDENCE_MINUTES} (a year; got {value!r})"
        )
        return DEFAULT_INDEPENDENCE_MINUTES
    return number


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


def _flag(value: Any, name: str, problems: dict[str, str]) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    problems[name] = f"{name} must be true or false (got {value!r})"
    return False


def _text(value: Any, name: str, problems: dict[str, str], *, limit: int, pattern: str = ""):
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        problems[name] = f"{name} must be a text of at most {limit} characters (got {value!r:.80})"
        return None
    if pattern and not re.fullmatch(pattern, value):
        problems[name] = f"{name} {value!r} is not a run id (letters, digits, - and _ only)"
        return None
    return value


def _deployment_ids(value: Any, problems: dict[str, str]) -> tuple[int, ...]:
    name = "deployments"
    if value is None:
        return ()
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        problems[name] = (
            f"{name} must be a list of deployment ids like [1, 2] (got {_shown(value)})"
        )
        return ()
    # Counted before anything else is done with the items (a list may be huge).
    items = list(itertools.islice(value, MAX_DEPLOYMENTS + 1))
    if len(items) > MAX_DEPLOYMENTS:
        size = len(value) if hasattr(value, "__len__") else f"more than {MAX_DEPLOYMENTS}"
        problems[name] = (
            f"{name} may name at most {MAX_DEPLOYMENTS} deployments (got {size}); "
            "leave it out to include every deployment"
        )
        return ()
    ids: set[int] = set()
    bad: list[Any] = []
    for item in items:
        if isinstance(item, bool):
            bad.append(item)
        elif isinstance(item, int) and 0 < item <= MAX_ID:
            ids.add(item)
        elif (
            isinstance(item, str)
            and len(item) <= 18
            and item.strip().isdigit()
            and 0 < int(item) <= MAX_ID
        ):
            ids.add(int(item))
        else:
            bad.append(item)
    if bad:
        shown = ", ".join(_shown(b) for b in bad[:5]) + (", ..." if len(bad) > 5 else "")
        problems[name] = f"{name} must be positive integer deployment ids; not ids: {shown}"
        return ()
    return tuple(sorted(ids))


def _check_deployments_exist(session: Any, ids: tuple[int, ...], problems: dict[str, str]) -> None:
    from sqlalchemy import select

    from deertrack_core.models import Deployment

    found = set(session.scalars(select(Deployment.id).where(Deployment.id.in_(ids))))
    missing = [i for i in ids if i not in found]
    if missing:
        problems["deployments"] = (
            f"deployments {', '.join(map(str, missing))} do not exist; "
            "choose ids from the Deployments list"
        )


def validate_export_request(data: Mapping[str, Any], *, session: Any = None) -> ExportRequest:
    """Check ``data`` and return an :class:`ExportRequest`; raise ``ValidationError`` otherwise.

    All problems are collected and reported together in ``ValidationError.problems``
    (field -> message). Deployment ids are checked against the database only when a
    ``session`` is given.
    """
    if not isinstance(data, Mapping):
        raise ValidationError({"request": "the request must be an object of named fields"})
    problems: dict[str, str] = {}
    allowed = ", ".join(FIELDS)
    unknown = [key for key in data if key not in FIELDS]
    for key in unknown[:5]:
        problems[str(key)[:40]] = f"unknown field {_shown(key)}; allowed fields: {allowed}"
    if len(unknown) > 5:
        problems["request"] = f"{len(unknown)} unknown fields; allowed fields: {allowed}"

    report_type = data.get("report_type")
    if report_type is None or report_type == "":
        problems["report_type"] = (
            f"report_type is required; choose one of {', '.join(REPORT_TYPES)}"
        )
    elif _choice(report_type, "report_type", REPORT_TYPES) is None:
        problems["report_type"] = (
            f"report_type {_shown(report_type)} is not known; choose one of "
            f"{', '.join(REPORT_TYPES)}"
        )

    start = _date(data.get("start_date"), "start_date", problems)
    end = _date(data.get("end_date"), "end_date", problems)
    if start and end and start > end:
        problems["start_date"] = "start_date must be on or before end_date"

    group_by = data.get("group_by")
    if group_by is None or group_by == "":
        group_by = DEFAULT_GROUP_BY
    elif _choice(group_by, "group_by", GROUP_BY) is None:
        problems["group_by"] = (
            f"group_by must be one of {', '.join(GROUP_BY)} (got {_shown(group_by)})"
        )

    minutes = _minutes(data.get("independence_minutes"), problems)
    deployments = _deployment_ids(data.get("deployments"), problems)
    if session is not None and deployments and "deployments" not in problems:
        _check_deployments_exist(session, deployments, problems)

    confirmed_only = _flag(data.get("confirmed_only"), "confirmed_only", problems)
    model = _text(data.get("model"), "model", problems, limit=300)
    run_id = _text(data.get("run_id"), "run_id", problems, limit=64, pattern=r"[A-Za-z0-9_-]+")
    other_type = isinstance(report_type, str) and report_type in FORMAT_OF
    other_type = other_type and report_type not in SCORE_TYPES
    for name, value in (("model", model), ("run_id", run_id)):
        if value is not None and other_type:
            problems[name] = f"{name} filters the scores exports only ({', '.join(SCORE_TYPES)})"

    if problems:
        raise ValidationError(problems)
    return ExportRequest(
        report_type=report_type,
        start_date=start,
        end_date=end,
        group_by=group_by,
        deployments=deployments,
        independence_minutes=minutes,
        confirmed_only=confirmed_only,
        model=model,
        run_id=run_id,
    )
