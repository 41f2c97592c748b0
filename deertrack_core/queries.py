"""Small query pieces shared by the review queue, the statistics and the reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from deertrack_core.models import Image


def where_photos(
    stmt,
    *,
    deployment_ids: Sequence[int] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
):
    """Restrict a statement that already joins ``images`` to some cameras and to photos taken
    from ``start`` to ``end`` (whole days, both included)."""
    if deployment_ids:
        stmt = stmt.where(Image.deployment_id.in_(list(deployment_ids)))
    if start:
        stmt = stmt.where(Image.captured_at >= dt.datetime.combine(start, dt.time()))
    if end:
        stmt = stmt.where(
            Image.captured_at < dt.datetime.combine(end, dt.time()) + dt.timedelta(days=1)
        )
    return stmt
