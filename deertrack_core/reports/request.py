"""Validated export requests: the one gate every export passes before anything is enqueued.

:func:`validate_export_request` turns a plain mapping (a JSON body, a form, CLI flags) into an
:class:`ExportRequest` or raises :class:`~deertrack_core.errors.ValidationError` listing *every*
problem at once, each message naming the field and the fix. It is pure and fast (no database)
unless deployments are named and a session is given to check that they exist.
"""

from __future__ import annotations

import datetime as dt
import math
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
    "megadetector_json": "json",
}
REPORT_TYPES: tuple[str, ...] = tuple(FORMAT_OF)
GROUP_BY: tuple[str, ...] = ("day", "week", "month")
FIELDS: tuple[str, ...] = (
    "report_type",
    "start_date",
    "end_date",
    "group_by",
    "deployments",
    "independence_minutes",
)
DEFAULT_GROUP_BY = "week"
#: camtrapR's customary minDeltaTime for independent events.
DEFAULT_INDEPENDENCE_MINUTES = 30.0


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
        }


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str | None:
    if isinstance(value, str) and value in choices:
        return value
    return None


def _date(value: Any, name: str, problems: dict[str, str]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    problems[name] = f"{name} must be an ISO date like 2024-06-01 (got {value!r})"
    return None


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
        problems[name] = f"{name} must be a number of minutes, 0 or more (got {value!r})"
        return DEFAULT_INDEPENDENCE_MINUTES
    if number < 0:
        problems[name] = f"{name} must be 0 or more (got {value!r}); 0 counts every detection"
        return DEFAULT_INDEPENDENCE_MINUTES
    return number


def _deployment_ids(value: Any, problems: dict[str, str]) -> tuple[int, ...]:
    name = "deployments"
    if value is None:
        return ()
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        problems[name] = f"{name} must be a list of deployment ids like [1, 2] (got {value!r})"
        return ()
    ids: set[int] = set()
    bad: list[Any] = []
    for item in value:
        if isinstance(item, bool):
            bad.append(item)
        elif isinstance(item, int) and item > 0:
            ids.add(item)
        elif isinstance(item, str) and item.strip().isdigit() and int(item) > 0:
            ids.add(int(item))
        else:
            bad.append(item)
    if bad:
        problems[name] = (
            f"{name} must be positive integer deployment ids; not ids: {', '.join(map(repr, bad))}"
        )
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
    for key in data:
        if key not in FIELDS:
            problems[str(key)] = f"unknown field {key!r}; allowed fields: {allowed}"

    report_type = data.get("report_type")
    if report_type is None or report_type == "":
        problems["report_type"] = (
            f"report_type is required; choose one of {', '.join(REPORT_TYPES)}"
        )
    elif _choice(report_type, "report_type", REPORT_TYPES) is None:
        problems["report_type"] = (
            f"report_type {report_type!r} is not known; choose one of {', '.join(REPORT_TYPES)}"
        )

    start = _date(data.get("start_date"), "start_date", problems)
    end = _date(data.get("end_date"), "end_date", problems)
    if start and end and start > end:
        problems["start_date"] = "start_date must be on or before end_date"

    group_by = data.get("group_by")
    if group_by is None or group_by == "":
        group_by = DEFAULT_GROUP_BY
    elif _choice(group_by, "group_by", GROUP_BY) is None:
        problems["group_by"] = f"group_by must be one of {', '.join(GROUP_BY)} (got {group_by!r})"

    minutes = _minutes(data.get("independence_minutes"), problems)
    deployments = _deployment_ids(data.get("deployments"), problems)
    if session is not None and deployments and "deployments" not in problems:
        _check_deployments_exist(session, deployments, problems)

    if problems:
        raise ValidationError(problems)
    return ExportRequest(
        report_type=report_type,
        start_date=start,
        end_date=end,
        group_by=group_by,
        deployments=deployments,
        independence_minutes=minutes,
    )
