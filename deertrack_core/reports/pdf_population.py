"""The population-size pages of a report: every estimator with its sampling-only interval and
its interval with identification error, side by side, in a table and a chart."""

from __future__ import annotations

from deertrack_core.analysis.occasions import ADJECTIVE
from deertrack_core.analysis.population import PopulationReport
from deertrack_core.reports import charts
from deertrack_core.reports import pdf as P


def _interval(lo, hi) -> str:
    return f"{lo:.1f} – {hi:.1f}" if lo is not None and hi is not None else "–"


def _num(v, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _left_out(report: PopulationReport) -> str:
    parts = []
    if report.dropped_occasions:
        parts.append(f"{report.dropped_occasions} with no camera operating")
    if report.unidentified_occasions:
        parts.append(
            f"{report.unidentified_occasions} whose deer photos have no counted identity yet "
            "(no evidence of which deer were there)"
        )
    return f" (leaving out {' and '.join(parts)})" if parts else ""


def chart_rows(report: PopulationReport) -> list[dict]:
    rows = []
    for r in report.model_rows():
        s, i = r["sampling"], r["with_id_error"]
        if r["estimate"] is not None and s["lower"] is not None:
            rows.append({"model": r["model"], "kind": "sampling only", "estimate": r["estimate"],
                         "lower": s["lower"], "upper": s["upper"]})  # fmt: skip
        if i["estimate"] is not None and i["lower"] is not None:
            rows.append({"model": r["model"], "kind": "with ID error", "estimate": i["estimate"],
                         "lower": i["lower"], "upper": i["upper"]})  # fmt: skip
    return rows


def section(report: PopulationReport, scope: str) -> list:
    """Flowables of the population pages (start on a fresh page)."""
    occ = ADJECTIVE.get(report.occasion, "")
    intro = (
        f"Capture histories of identified deer ({report.identities}) over {report.occasions} "
        f"{occ} occasions{_left_out(report)}: {report.seen} deer. Models assume a closed population (no births, deaths or "
        "movement in or out during the range). <b>Sampling only</b> treats every identity as "
        "right; <b>with ID error</b> also carries the machine's identification error: its "
        "identities are redrawn from the score evidence calibrated on reviewed pairs, the "
        "histories rebuilt and each model refitted, and the draws pooled with each fit's "
        "sampling error. Where the two disagree, the identities are the larger uncertainty."
    )
    model_rows = []
    for r in report.model_rows():
        i = r["with_id_error"]
        aware = (
            "–"
            if i["estimate"] is None
            else f"{i['estimate']:.1f} ({_interval(i['lower'], i['upper'])})"
        )
        note = r["note"]  # the reason for no ID-error interval is given once, below
        model_rows.append([
            f"<b>{r['model']}</b>", P.Paragraph(r["description"], P.STYLES["cell"]),
            _num(r["estimate"]), _interval(r["sampling"]["lower"], r["sampling"]["upper"]),
            aware, _num(r["delta_aicc"], 2), _num(r["weight"], 2),
            P.Paragraph(note, P.STYLES["cell"]),
        ])  # fmt: skip
    model_rows = [[P.Paragraph(c, P.STYLES["cell"]) if isinstance(c, str) and c.startswith("<b>")
                   else c for c in row] for row in model_rows]  # fmt: skip
    widths = [0.55, 1.3, 0.5, 0.9, 1.25, 0.55, 0.6, 1.35]
    table = P.data_table(
        ["Model", "Assumes", "N", "95% sampling only", "With ID error: N (95%)", "ΔAICc",
         "Weight", "Notes"],
        model_rows, [w * P.inch for w in widths], numeric_from=2,
    )  # fmt: skip
    simple_rows = [
        [e.method, _num(e.estimate), _interval(e.lower, e.upper),
         P.Paragraph(e.note, P.STYLES["cell"])]
        for e in report.simple
    ]  # fmt: skip
    simple = P.data_table(["Estimator", "N", "95% interval", "Notes"], simple_rows,
                          [1.7 * P.inch, 0.6 * P.inch, 1.0 * P.inch,
                           P.CONTENT_WIDTH - 3.3 * P.inch])  # fmt: skip
    story = [P.Paragraph("Population size", P.STYLES["h1"]), P.para(intro), table]
    rows = chart_rows(report)
    if rows:
        story.append(P.png(charts.population_chart(rows, seen=report.seen),
                           width=P.CONTENT_WIDTH * 0.85, max_height=2.6 * P.inch))  # fmt: skip
    story += [
        P.Paragraph("How the identities enter", P.STYLES["h2"]),
        P.para(_id_text(report)),
    ]
    # kept on one page: a lone row of this table and its note used to spill onto the next
    story += P.keep([
        P.Paragraph("Simple estimators (sampling only)", P.STYLES["h2"]),
        simple,
        P.para(
            "Models are fitted by maximum likelihood (Otis et al. 1978; Mh2: a two-point "
            "mixture, Pledger 2000) and ranked by AICc (ΔAICc 0 is the best supported; the "
            "weight is its Akaike weight). Intervals are Chao's log-normal intervals, which "
            "never fall below the deer seen and always contain their estimate; where none can "
            f"be given the note says why. Counts of individuals: {scope}.",
            "small",
        ),
    ])  # fmt: skip
    return story


def _id_text(report: PopulationReport) -> str:
    res = report.id_error
    text = report.id_note[:1].upper() + report.id_note[1:] + "."
    if report.machine_model:
        text += f" Machine identities: {report.machine_model}."
    if res is not None and res.replicates:
        lo, mid, hi = res.individuals
        text += (
            f" Across the draws the number of distinct deer seen ranged {lo:.0f}–{hi:.0f} "
            f"(median {mid:.0f}; {res.recorded_individuals} as recorded). Expected wrong "
            f"automatic matches: {res.expected_false_matches:.1f} of {res.units} decisions; "
            f"expected machine-created deer that are known ones: {res.expected_merges:.1f}."
        )
        cal = report.calibration or {}
        if cal:
            text += (
                f" Calibration: {cal.get('same_pairs', 0):,} same-deer and "
                f"{cal.get('different_pairs', 0):,} different-deer reviewed pairs"
                f" ({cal.get('model', '')})."
            )
    return text
