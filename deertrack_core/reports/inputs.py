"""What every report starts from: the request's rows, loaded once, and the cover's metadata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from deertrack_core.analysis import load, provenance
from deertrack_core.analysis.events import independent_events


@dataclass(frozen=True)
class ReportInputs:
    """Rows of one export request. ``detections`` already carry the independent-event flags."""

    request: object  # ExportRequest
    detections: pd.DataFrame
    deployments: pd.DataFrame
    deer: pd.DataFrame
    start: dt.date
    end: dt.date
    synthetic: bool
    machine_model: str = ""  # "model X at threshold t" of the machine identities counted
    #: what a report's ``prepare`` hook computed with the session (e.g. the population report)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def confirmed_only(self) -> bool:
        return bool(getattr(self.request, "confirmed_only", False))

    @property
    def scope(self) -> str:
        """Short label for counts of individuals: "(confirmed + automatic)" or "(confirmed only)"."""
        return provenance.scope_label(self.confirmed_only)

    def identities_row(self) -> tuple[str, str]:
        """The cover's statement of which identities every count includes."""
        c = provenance.counts(self.detections)
        rest = c["proposed"] + c["unidentified"]
        tally = (
            f"Of the {c['confirmed'] + c['automatic'] + rest:,} animal boxes: "
            f"{c['confirmed']:,} confirmed by a reviewer, {c['automatic']:,} automatic, "
            f"{rest:,} proposed for review or not matched yet."
        )
        if self.confirmed_only:
            text = (
                "<b>Confirmed identities only</b> (set by a reviewer). Machine matches are "
                "counted as unidentified deer."
            )
        else:
            machine = f" ({self.machine_model})" if self.machine_model else ""
            text = (
                "<b>Confirmed and automatic identities</b> — the default: identities set by a "
                "reviewer, and matches the machine made at or above its recorded threshold"
                f"{machine}. Ask for <i>confirmed only</i> in the export request to count "
                "reviewed identities alone. Proposals awaiting review count as unidentified deer."
            )
        return ("Identities counted", f"{text} {tally}")

    @property
    def minutes(self) -> float:
        return float(self.request.independence_minutes)

    @property
    def group_by(self) -> str:
        return str(self.request.group_by)

    def filters(self, *, grouped: bool = True) -> tuple[tuple[str, str], ...]:
        """The cover's filter table rows (without "Grouping" for reports that do not group)."""
        deps = self.deployments
        if getattr(self.request, "deployments", ()):
            labels = [
                f"{s}/{c}" if c else s for s, c in zip(deps["station"], deps["camera"], strict=True)
            ]
            cameras = ", ".join(labels)
        else:
            cameras = f"all ({len(deps)} deployments at {deps['station'].nunique()} stations)"
        asked = self.request
        rng = f"{self.start.isoformat()} to {self.end.isoformat()}" + (
            "" if asked.start_date and asked.end_date else " (span of the photos)"
        )
        rows = (
            ("Date range", rng),
            ("Cameras", cameras),
            ("Grouping", self.group_by),
            (
                "Independence interval",
                f"{self.minutes:g} minutes — records of the same deer (or the same species when "
                "unidentified) at the same station within this interval of the event's first "
                "record count as one independent event (camtrapR minDeltaTime)",
            ),
            (
                "Detections included",
                "animal boxes on timed photos; boxes a reviewer rejected are left out",
            ),
            self.identities_row(),
        )
        return rows if grouped else tuple(r for r in rows if r[0] != "Grouping")


def load_inputs(
    session: Session, request, *, with_events: bool = True, columns=None
) -> ReportInputs:
    """Load the detections, deployments and deer a request covers (one query each).

    ``columns``: the detection columns the report needs (default all; see ``load_detections``).
    """
    deployments = load.load_deployments(session, request.deployments)
    deer = load.load_deer(session)
    confirmed_only = bool(getattr(request, "confirmed_only", False))
    detections = load.load_detections(
        session,
        start=request.start_date,
        end=request.end_date,
        deployments=request.deployments,
        columns=columns,
        confirmed_only=confirmed_only,
    )
    machine_model = ""
    if not confirmed_only and (detections["provenance"] == "automatic").any():
        decided = provenance.attach_decisions(
            session, detections[["detection_id", "match_status", "deer_id"]]
        )
        machine_model = provenance.machine_summary(decided)
    start, end = request.start_date, request.end_date
    if start is None or end is None:
        span_lo = detections["captured_at"].min() if len(detections) else pd.NaT
        span_hi = detections["captured_at"].max() if len(detections) else pd.NaT
        today = dt.date.today()
        start = start or (span_lo.date() if pd.notna(span_lo) else today)
        end = end or (span_hi.date() if pd.notna(span_hi) else today)
    if with_events:
        detections = independent_events(detections, float(request.independence_minutes))
    used_deer = deer[deer["canonical_id"].isin(detections["deer_id"].dropna().unique())]
    return ReportInputs(
        request=request,
        detections=detections,
        deployments=deployments,
        deer=deer,
        start=start,
        end=end,
        synthetic=load.is_synthetic(deployments, used_deer if len(used_deer) else deer),
        machine_model=machine_model,
    )
