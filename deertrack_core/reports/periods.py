"""Long date ranges without photos, kept short in reports.

A seasonal report over two years of weeks where the cameras ran for five months printed page
after page of zero rows (27 pages of empty weeks in one report). Charts are drawn over the span
from the first to the last period with detections; a table folds each run of empty periods into
one row that says how many periods it stands for.
"""

from __future__ import annotations

import pandas as pd

#: A run of at least this many empty periods becomes one row.
MIN_RUN = 2


def busy_span(totals: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last ``period`` with detections (None: no detections at all)."""
    busy = totals.loc[totals["detections"] > 0, "period"]
    return (busy.min(), busy.max()) if len(busy) else None


def within(frame: pd.DataFrame, span: tuple[pd.Timestamp, pd.Timestamp] | None) -> pd.DataFrame:
    """Rows of ``frame`` whose ``period`` falls in ``span`` (all rows when None)."""
    if span is None:
        return frame
    keep = (frame["period"] >= span[0]) & (frame["period"] <= span[1])
    return frame[keep]


def trimmed_note(totals: pd.DataFrame, span, group_by: str, label) -> str:
    """What the charts leave out, in words ("" when nothing)."""
    if span is None or totals.empty:
        return ""
    before = int((totals["period"] < span[0]).sum())
    after = int((totals["period"] > span[1]).sum())
    parts = []
    if before:
        parts.append(f"{before} {group_by}{'s' if before > 1 else ''} before {label(span[0])}")
    if after:
        parts.append(f"{after} {group_by}{'s' if after > 1 else ''} after {label(span[1])}")
    if not parts:
        return ""
    return f" The {' and the '.join(parts)} had no detections and are left out of the charts."


def fold_empty(rows: list[list], empty: list[bool], group_by: str, width: int) -> list[list]:
    """``rows`` with each run of :data:`MIN_RUN` or more ``empty`` rows replaced by one row
    whose first cell reads "<first> – <last>: N weeks without detections" (the rest blank).
    ``rows[i][0]`` is the period's label; ``width`` cells per row."""
    out: list[list] = []
    i = 0
    while i < len(rows):
        j = i
        while j < len(rows) and empty[j]:
            j += 1
        run = j - i
        if run >= MIN_RUN:
            text = f"{rows[i][0]} – {rows[j - 1][0]}: {run} {group_by}s without detections"
            out.append([text] + [""] * (width - 1))
            i = j
        else:
            out.append(rows[i])
            i += 1
    return out
