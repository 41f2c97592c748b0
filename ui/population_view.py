"""The Population page's table, interval chart and notes, from a ``PopulationReport``."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from deertrack_core.analysis.occasions import ADJECTIVE
from deertrack_core.analysis.population import PopulationReport

KINDS = {"sampling only": "#3f6b3a", "with ID error": "#b5651d"}


def interval(lo, hi) -> str:
    return f"{lo:.1f} – {hi:.1f}" if lo is not None and hi is not None else "–"


def table(report: PopulationReport, pending: bool = False) -> pd.DataFrame:
    """One row per model, best supported first: N, both intervals side by side, AICc."""
    rows = []
    for r in sorted(report.model_rows(), key=lambda r: (r["aicc"] is None, r["aicc"] or 0)):
        s, i = r["sampling"], r["with_id_error"]
        rows.append({
            "model": r["model"], "assumes": r["description"], "N": r["estimate"],
            "95% sampling only": interval(s["lower"], s["upper"]),
            "N with ID error": "…" if pending else i["estimate"],
            "95% with ID error": "computing…" if pending else interval(i["lower"], i["upper"]),
            "AICc": r["aicc"], "ΔAICc": r["delta_aicc"], "weight": r["weight"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def model_notes(report: PopulationReport) -> str:
    """The models' notes as one line ("M0, Mb: …"), models with the same note together."""
    by_note: dict[str, list[str]] = {}
    for r in report.model_rows():
        if r["note"]:
            by_note.setdefault(r["note"], []).append(r["model"])
    return " · ".join(f"{', '.join(models)}: {note}" for note, models in by_note.items())


def chart_rows(report: PopulationReport, pending: bool = False) -> pd.DataFrame:
    rows = []
    for r in report.model_rows():
        s, i = r["sampling"], r["with_id_error"]
        if r["estimate"] is not None and s["lower"] is not None:
            rows.append({"model": r["model"], "kind": "sampling only", "N": r["estimate"],
                         "lower": s["lower"], "upper": s["upper"]})  # fmt: skip
        if not pending and i["estimate"] is not None and i["lower"] is not None:
            rows.append({"model": r["model"], "kind": "with ID error", "N": i["estimate"],
                         "lower": i["lower"], "upper": i["upper"]})  # fmt: skip
    return pd.DataFrame(rows)


def chart(report: PopulationReport, pending: bool = False) -> alt.LayerChart | None:
    """Each model's estimate and 95% intervals, sampling only above with ID error; the dashed
    line is the number of deer seen (no interval falls below it)."""
    df = chart_rows(report, pending)
    if df.empty:
        return None
    y = alt.Y("model:N", title="Model", sort=sorted(df["model"].unique()))
    colour = alt.Color("kind:N", title="95% interval",
                       scale=alt.Scale(domain=list(KINDS), range=list(KINDS.values())))  # fmt: skip
    offset = alt.YOffset("kind:N", sort=list(KINDS))
    tips = ["model:N", "kind:N", alt.Tooltip("N:Q", format=".1f"),
            alt.Tooltip("lower:Q", format=".1f"), alt.Tooltip("upper:Q", format=".1f")]  # fmt: skip
    base = alt.Chart(df).encode(y=y, yOffset=offset, color=colour, tooltip=tips)
    rules = base.mark_rule(strokeWidth=3).encode(
        x=alt.X(
            "lower:Q",
            title="Population size (deer, log scale)",
            scale=alt.Scale(type="log", nice=False),
        ),
        x2="upper:Q",
    )
    dots = base.mark_point(filled=True, size=70).encode(x="N:Q")
    seen = alt.Chart(pd.DataFrame({"seen": [report.seen]})).mark_rule(
        strokeDash=[4, 3], color="#555").encode(x="seen:Q", tooltip=["seen:Q"])  # fmt: skip
    return alt.layer(rules, dots, seen).properties(height=alt.Step(22))


def summary(report: PopulationReport) -> str:
    occ = ADJECTIVE.get(report.occasion, report.occasion)
    left = []
    if report.dropped_occasions:
        left.append(f"{report.dropped_occasions} with no camera operating")
    if report.unidentified_occasions:
        left.append(f"{report.unidentified_occasions} whose deer photos have no counted identity")
    out = (
        f"**{report.seen} deer seen** over {report.occasions} {occ} occasions "
        f"({report.start:%d %b %Y} – {report.end:%d %b %Y}), counting **{report.identities}**."
    )
    if left:
        out += f" Left out: {' and '.join(left)}."
    return out


def id_text(report: PopulationReport) -> str:
    """What the "with ID error" intervals include, or why there are none."""
    text = report.id_note[:1].upper() + report.id_note[1:] + "."
    if report.machine_model:
        text += f" Machine identities: {report.machine_model}."
    res = report.id_error
    if res is not None and res.replicates:
        lo, mid, hi = res.individuals
        text += (
            f" Across the draws the deer seen ranged {lo:.0f}–{hi:.0f} (median {mid:.0f}; "
            f"{res.recorded_individuals} as recorded); expected wrong automatic matches "
            f"{res.expected_false_matches:.1f} of {res.units} decisions, expected machine-created "
            f"deer that are known ones {res.expected_merges:.1f}."
        )
    return text


def show(report: PopulationReport, pending: bool = False) -> None:
    st.markdown(summary(report))
    # While pending, the ID-error estimate is text ("…"), not an empty number shown as "None".
    later = (
        st.column_config.TextColumn() if pending else st.column_config.NumberColumn(format="%.1f")
    )
    st.dataframe(table(report, pending), hide_index=True, width="stretch",
                 column_config={"N": st.column_config.NumberColumn(format="%.1f"),
                                "N with ID error": later})  # fmt: skip
    # The models' notes are sentences: under the table, not in a column they would overflow.
    if notes := model_notes(report):
        st.caption(notes)
    if (c := chart(report, pending)) is not None:
        st.altair_chart(c, width="stretch")
    if pending:
        st.caption("The intervals with identification error are being computed…")
    else:
        st.caption(id_text(report))
