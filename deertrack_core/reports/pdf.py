"""PDF scaffolding shared by every report: page template, styles, cover, tables, images.

Every page carries a footer with the report title, the generation time and "Page n of N".
reportlab is imported here and in the report modules only.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

# Images go into the PDF zlib-compressed but not ASCII85-encoded: without reportlab's optional C
# accelerator the pure-Python encoder took seconds per report, and binary streams are smaller.
rl_config.useA85 = 0

PAGE = letter
MARGIN = 0.75 * inch
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN
ACCENT = colors.HexColor("#4a6741")

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("dt-title", parent=_base["Title"], fontSize=24, leading=30,
                            alignment=TA_LEFT, textColor=ACCENT, spaceAfter=6),
    "subtitle": ParagraphStyle("dt-sub", parent=_base["Normal"], fontSize=13, leading=17,
                               textColor=colors.HexColor("#444444"), spaceAfter=18),
    "h1": ParagraphStyle("dt-h1", parent=_base["Heading1"], fontSize=16, leading=20,
                         textColor=ACCENT, spaceBefore=4, spaceAfter=8),
    "h2": ParagraphStyle("dt-h2", parent=_base["Heading2"], fontSize=12.5, leading=16,
                         spaceBefore=10, spaceAfter=6),
    "body": ParagraphStyle("dt-body", parent=_base["Normal"], fontSize=9.5, leading=13,
                           spaceAfter=6),
    "small": ParagraphStyle("dt-small", parent=_base["Normal"], fontSize=8, leading=10.5,
                            textColor=colors.HexColor("#555555")),
    "cell": ParagraphStyle("dt-cell", parent=_base["Normal"], fontSize=8.5, leading=10.5),
    "head": ParagraphStyle("dt-head", parent=_base["Normal"], fontName="Helvetica-Bold",
                           fontSize=8, leading=9.5),
    "note": ParagraphStyle("dt-note", parent=_base["Normal"], fontSize=10, leading=13.5,
                           backColor=colors.HexColor("#fff4d6"), borderColor=colors.HexColor("#d8a03d"),
                           borderWidth=0.8, borderPadding=7, spaceBefore=10, spaceAfter=14),
}  # fmt: skip


@dataclass(frozen=True)
class ReportMeta:
    """What the cover and every footer say about a report."""

    title: str
    start: dt.date | None
    end: dt.date | None
    filters: tuple[tuple[str, str], ...]
    synthetic: bool
    generated_at: dt.datetime

    @property
    def date_range(self) -> str:
        if self.start and self.end:
            return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"
        return "all dates"


def _numbered_canvas(meta: ReportMeta):
    """A canvas that holds pages back until the end so each footer can say 'of N'."""
    footer_left = f"DeerTrack · {meta.title} · generated {meta.generated_at:%Y-%m-%d %H:%M} UTC"

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setStrokeColor(colors.HexColor("#cccccc"))
            self.setLineWidth(0.5)
            self.line(MARGIN, 0.6 * inch, PAGE[0] - MARGIN, 0.6 * inch)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(colors.HexColor("#666666"))
            self.drawString(MARGIN, 0.45 * inch, footer_left)
            self.drawRightString(
                PAGE[0] - MARGIN, 0.45 * inch, f"Page {self._pageNumber} of {total}"
            )
            self.restoreState()

    return NumberedCanvas


def render(story: list[Flowable], meta: ReportMeta, path: Path) -> int:
    """Write the story to ``path``; return the number of pages."""
    doc = SimpleDocTemplate(
        str(path),
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=0.9 * inch,
        title=meta.title,
        author="DeerTrack",
        subject=f"{meta.title}, {meta.date_range}",
        creator="DeerTrack",
    )
    doc.build(story, canvasmaker=_numbered_canvas(meta))
    return doc.page


def cover(meta: ReportMeta, key_figures: Sequence[tuple[str, str]], intro: str = "") -> list:
    """Title, date range, filters, the synthetic-data note and a row of key figures."""
    story: list[Flowable] = [
        Spacer(1, 0.6 * inch),
        Paragraph(meta.title, STYLES["title"]),
        Paragraph(meta.date_range, STYLES["subtitle"]),
    ]
    if meta.synthetic:
        story.append(
            Paragraph(
                "<b>Synthetic data.</b> These records come from DeerTrack's generated demo season "
                "(generated photos of generated deer), not from field observations. Do not use "
                "these figures for management decisions.",
                STYLES["note"],
            )
        )
    if intro:
        story.append(Paragraph(intro, STYLES["body"]))
    story.append(Paragraph("Filters", STYLES["h2"]))
    story.append(kv_table(list(meta.filters)))
    if key_figures:
        story.append(Paragraph("At a glance", STYLES["h2"]))
        story.append(figures_row(key_figures))
    return story


def kv_table(rows: Sequence[tuple[str, str]], widths=(1.9 * inch, None)) -> Table:
    data = [
        [Paragraph(f"<b>{k}</b>", STYLES["cell"]), Paragraph(v, STYLES["cell"])] for k, v in rows
    ]
    second = widths[1] or CONTENT_WIDTH - widths[0]
    table = Table(data, colWidths=[widths[0], second], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def figures_row(items: Sequence[tuple[str, str]]) -> Table:
    """Big numbers with small captions, side by side."""
    big = ParagraphStyle("dt-big", fontName="Helvetica-Bold", fontSize=18, leading=22,
                         textColor=ACCENT)  # fmt: skip
    cells = [
        [Paragraph(v, big) for _, v in items],
        [Paragraph(k, STYLES["small"]) for k, _ in items],
    ]
    table = Table(cells, colWidths=[CONTENT_WIDTH / len(items)] * len(items), hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#cccccc")),
                               ("TOPPADDING", (0, 0), (-1, 0), 8),
                               ("BOTTOMPADDING", (0, 1), (-1, 1), 8)]))  # fmt: skip
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    col_widths: Sequence[float] | None = None,
    numeric_from: int = 1,
    total_row: bool = False,
) -> Table:
    """A striped table whose header repeats on every page it spans (last row bold if a total)."""
    head = [Paragraph(h, STYLES["head"]) for h in header]
    body = [[_fmt(v) for v in row] for row in rows]
    table = Table([head, *body], colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6ede4")),
        ("FONTSIZE", (0, 1), (-1, -1), 8.5),
        ("LEADING", (0, 1), (-1, -1), 10.5),
        ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for i in range(2, len(body) + 1, 2):
        style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f6f6f4")))
    if total_row:
        style += [
            ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT),
        ]
    table.setStyle(TableStyle(style))
    return table


def _fmt(value: object) -> object:
    if isinstance(value, Flowable):
        return value
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def png(data: bytes, width: float = CONTENT_WIDTH, max_height: float | None = None) -> Image:
    """A PNG (bytes) scaled to ``width`` points, keeping its aspect ratio."""
    img = Image(io.BytesIO(data))
    ratio = img.imageHeight / img.imageWidth
    w, h = width, width * ratio
    if max_height and h > max_height:
        w, h = max_height / ratio, max_height
    img.drawWidth, img.drawHeight = w, h
    img.hAlign = "LEFT"
    return img


def section(title: str, *flowables: Flowable, keep: bool = True) -> list[Flowable]:
    head = Paragraph(title, STYLES["h1"])
    if keep:
        return [KeepTogether([head, *flowables])]
    return [head, *flowables]


def keep(flowables: Sequence[Flowable]) -> list[Flowable]:
    """``flowables`` kept on one page (moved whole to the next when they do not fit)."""
    return [KeepTogether(list(flowables))]


def para(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


__all__ = [
    "CONTENT_WIDTH",
    "PageBreak",
    "ReportMeta",
    "STYLES",
    "Spacer",
    "cover",
    "data_table",
    "figures_row",
    "keep",
    "kv_table",
    "para",
    "png",
    "render",
    "section",
]
