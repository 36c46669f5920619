"""The leadership deck's layout: ten 16:9 slides built with python-pptx from a
:class:`~nistpf.export.deck.Story` and the chart pictures.

Every piece of text is a native text frame or table cell, set as plain text (python-pptx writes
it XML-escaped, so inventory text such as ``<script>`` or ``=cmd`` stays literal), and every
run names :data:`FONT` explicitly, so the deck looks the same whatever theme it is opened with.
Shapes that carry numbers have stable names (``kpi-current``, ``function-table``, …) so tests and
scripts can find them.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from nistpf.export import theme
from nistpf.export.deck import DIAGRAM, DIAGRAM_MISSING, PRIORITIES, Story, shorten
from nistpf.numbers import fixed, percent

# 16:9 widescreen, as PowerPoint's own default: 13.333 × 7.5 in.
SLIDE_WIDTH = Emu(12192000)
SLIDE_HEIGHT = Emu(6858000)
# One family for every run. The charts use Liberation Sans first (theme.FONT_FAMILY); Arial is
# its metric twin that every Windows and macOS machine has, and LibreOffice maps Arial to
# Liberation Sans, so text fits the same boxes everywhere.
FONT = "Arial"
TEXT = RGBColor.from_string(theme.TEXT_COLOR.lstrip("#"))
MUTED = RGBColor.from_string(theme.MUTED_COLOR.lstrip("#"))
ACCENT = RGBColor.from_string(theme.BLUE.lstrip("#"))
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
PANEL = RGBColor(0xF2, 0xF2, 0xF2)
BAND = RGBColor(0xF7, 0xF7, 0xF7)
MARGIN = 0.5  # inches, left and right
CONTENT_TOP = 1.65
CONTENT_WIDTH = 13.333 - 2 * MARGIN
ROADMAP_ROWS = 8
OWNER_LIMIT = 34  # characters of an owner in a roadmap cell (two lines); the notes hold it all
HEATMAP_ROWS = 15  # systems on the heat map slide, weakest first
HIGH_FLOW_LINES = 7
SERIES = ("Problems for individuals", "Top outliers")  # the risk chart's two series

# Where each chart goes (left, top, width, height in inches) and how many CSS pixels it gets
# per inch there: the picture is rendered at exactly the frame's aspect ratio, so it fills it;
# the data-flow map gets more pixels because a Sankey needs room between its labels.
PICTURE_BOXES: dict[str, tuple[float, float, float, float]] = {
    "radar-function": (MARGIN, CONTENT_TOP, 6.9, 5.2),
    "heatmap": (MARGIN, CONTENT_TOP, CONTENT_WIDTH, 4.85),
    "flow-map": (MARGIN, CONTENT_TOP, 8.9, 5.25),
}
PIXELS_PER_INCH = {"radar-function": 96, "heatmap": 96, "flow-map": 112}
PICTURE_SIZES = {
    name: (round(w * PIXELS_PER_INCH[name]), round(h * PIXELS_PER_INCH[name]))
    for name, (_, _, w, h) in PICTURE_BOXES.items()
}
# Per chart, what changes on a slide: bigger type (a slide is read from across a room), and the
# room kept for the chart's own title goes, because the slide title states the point.
_SLIDE_LAYOUT: dict[str, dict[str, Any]] = {
    "radar-function": {
        "font": {"size": 15},
        "margin": {"t": 30, "b": 70, "l": 120, "r": 120},
        "legend": {"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.06, "yanchor": "top"},
    },
    "heatmap": {"font": {"size": 14}, "margin": {"t": 60, "b": 10}},
    "flow-map": {"font": {"size": 13}, "margin": {"t": 10, "b": 10, "l": 10, "r": 30}},
}


def prepare_figures(figures: Mapping[str, go.Figure]) -> dict[str, go.Figure]:
    """Copies of the charts laid out for slides (see :data:`_SLIDE_LAYOUT`); their data is
    untouched."""
    prepared = {}
    for name, figure in figures.items():
        fig = go.Figure(figure)
        fig.update_layout(title={"text": "", "subtitle": {"text": ""}})
        fig.update_layout(**_SLIDE_LAYOUT.get(name, {"margin": {"t": 20}}))
        if name == "heatmap":
            fig.update_traces(textfont={"size": 14})
            _keep_weakest(fig, HEATMAP_ROWS)
        prepared[name] = fig
    return prepared


def _keep_weakest(fig: go.Figure, rows: int) -> None:
    """Keep the first ``rows`` rows of the heat map: the chart orders systems weakest first, and
    a slide cannot show hundreds of rows legibly (the register's heat map has them all)."""
    for trace in fig.data:
        if trace.type == "heatmap" and trace.y is not None and len(trace.y) > rows:
            trace.update(z=list(trace.z)[:rows], y=list(trace.y)[:rows])


def build(
    story: Story, pictures: Mapping[str, bytes], *, missing: Mapping[str, str] | None = None
) -> Any:
    """The deck as a python-pptx ``Presentation`` (not yet saved). ``missing``: why a picture
    that may be absent is (the data-flow diagram without Graphviz), by picture name."""
    missing = dict(missing or {})
    prs = Presentation()
    prs.slide_width = SLIDE_WIDTH
    prs.slide_height = SLIDE_HEIGHT
    sections = (
        ("", _title_slide),
        ("Executive summary", _summary_slide),
        ("Privacy Framework Functions", _radar_slide),
        ("Systems", _heatmap_slide),
        ("Top gaps", _gaps_slide),
        ("Data flows", _flows_slide),
        ("Where customer data goes", _diagram_slide),
        ("The riskiest data actions", _risk_slide),
        ("Roadmap", _roadmap_slide),
        ("Appendix: method", _method_slide),
    )
    for number, ((section, draw), title) in enumerate(
        zip(sections, story.titles, strict=True), start=1
    ):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        if number > 1:
            _heading(slide, section, title)
            _footer(slide, story, number, len(sections))
        if draw is _diagram_slide:
            _diagram_slide(slide, story, pictures, missing.get(DIAGRAM, ""))
        else:
            draw(slide, story, pictures)
    return prs


# -- slides --------------------------------------------------------------------------------------


def _title_slide(slide, story: Story, pictures) -> None:
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(0.3), SLIDE_HEIGHT)
    _fill(band, ACCENT)
    _text(
        slide,
        (0.9, 1.6, 11.5, 0.5),
        ["Leadership briefing"],
        size=18,
        color=ACCENT,
        bold=True,
        name="kicker",
    )
    title = slide.shapes.title
    _place(title, (0.9, 2.15, 11.5, 1.9))
    _set_text(title.text_frame, [story.titles[0]], size=36, bold=True, anchor=MSO_ANCHOR.TOP)
    lines = [line for line in (story.engagement, story.date) if line]
    if story.assessor:
        lines.append(f"Assessor: {story.assessor}")
    _text(slide, (0.9, 4.3, 11.5, 1.6), lines, size=18, color=TEXT, name="subtitle")


def _summary_slide(slide, story: Story, pictures) -> None:
    o = story.overall

    def shown(value: float, show=fixed) -> str:
        return "–" if value != value else show(value)  # NaN: nothing is scored

    tiles = (
        ("current", "Current", shown(o["current"]), story.overall_label),
        ("target", "Target", shown(o["target"]), story.target_label),
        ("gap", "Gap", shown(o["gap"]), "mean of the outcomes' gaps"),
        ("coverage", "Coverage", shown(o["coverage"], percent), "of systems, weighted"),
    )
    gutter = 0.25
    width = (CONTENT_WIDTH - gutter * (len(tiles) - 1)) / len(tiles)
    for i, (key, caption, value, note) in enumerate(tiles):
        box = (MARGIN + i * (width + gutter), CONTENT_TOP + 0.1, width, 1.45)
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, *_inches(box))
        shape.name = f"kpi-{key}"
        _fill(shape, PANEL)
        frame = shape.text_frame
        frame.margin_left = frame.margin_right = Inches(0.15)
        _set_text(frame, [caption, value, note], size=13, color=TEXT, anchor=MSO_ANCHOR.MIDDLE)
        _style_paragraph(frame.paragraphs[0], size=13, color=MUTED)
        _style_paragraph(frame.paragraphs[1], size=32, bold=True, color=ACCENT)
    _text(slide, (MARGIN, 3.55, CONTENT_WIDTH, 0.4), ["Key messages"], size=16, bold=True)
    messages = [f"{i}.  {message}" for i, message in enumerate(story.key_messages, start=1)]
    box = _text(slide, (MARGIN, 4.0, CONTENT_WIDTH, 2.5), messages, size=16, name="key-messages")
    for paragraph in box.text_frame.paragraphs:
        paragraph.space_after = Pt(10)
    _text(
        slide,
        (MARGIN, CONTENT_TOP + 1.57, CONTENT_WIDTH, 0.3),
        [story.evidence],
        size=11,
        color=MUTED,
        name="evidence",
    )
    _note(slide, story.scale_text, "scale")


def _radar_slide(slide, story: Story, pictures) -> None:
    _picture(slide, pictures["radar-function"], PICTURE_BOXES["radar-function"])
    rows = [["Function", "Current", "Target", "Gap", "Coverage"]]
    for f in story.functions.itertuples(index=False):
        rows.append(
            [
                f"{f.name} ({f.function})",
                _n(f.current),
                _n(f.target),
                _n(f.gap),
                f"{percent(f.coverage)}",
            ]
        )
    left = MARGIN + PICTURE_BOXES["radar-function"][2] + 0.3
    width = 13.333 - MARGIN - left
    _table(
        slide,
        rows,
        (left, CONTENT_TOP + 0.5, width),
        [2.0, 0.8, 0.75, 0.6, 0.95],
        size=12,
        name="function-table",
    )
    _text(
        slide,
        (left, CONTENT_TOP + 3.3, width, 1.2),
        [
            story.scale_text,
            "Coverage: weighted share of systems with an Implemented or Partially implemented "
            "control (see the method).",
        ],
        size=11,
        color=MUTED,
    )


def _heatmap_slide(slide, story: Story, pictures) -> None:
    _picture(slide, pictures["heatmap"], PICTURE_BOXES["heatmap"])
    count = len(story.systems)
    shown = (
        f"the {HEATMAP_ROWS} weakest of {count} systems"
        if count > HEATMAP_ROWS
        else "weakest system on top"
    )
    caption = f"Mean level of each system per Function, {shown} · {story.scale_text}"
    _note(slide, caption, "heatmap-caption")


def _gaps_slide(slide, story: Story, pictures) -> None:
    rows = [["Subcategory", "Outcome", "Current", "Target", "Gap", "Gap points", "Priority"]]
    for g in story.top_gaps.itertuples(index=False):
        rows.append(
            [
                g.subcategory,
                g.outcome,
                _n(g.current),
                _n(g.target),
                _n(g.gap),
                _n(g.gap_points),
                g.priority,
            ]
        )
    _table(
        slide,
        rows,
        (MARGIN, CONTENT_TOP, CONTENT_WIDTH),
        [1.3, 6.23, 0.9, 0.85, 0.75, 1.2, 1.1],
        size=11,
        name="top-gaps-table",
        row_height=0.42,
        wrap_columns={1},
    )
    _note(
        slide,
        "Gap = max(0, target − current); gap points = gap × priority weight. Every gap is "
        "in the gap register with its systems, controls and findings.",
    )


def _flows_slide(slide, story: Story, pictures) -> None:
    _picture(slide, pictures["flow-map"], PICTURE_BOXES["flow-map"])
    left = MARGIN + PICTURE_BOXES["flow-map"][2] + 0.3
    width = 13.333 - MARGIN - left
    _text(slide, (left, CONTENT_TOP, width, 0.4), ["Findings by severity"], size=14, bold=True)
    rows = [["Severity", "Findings"]]
    rows += [[f.severity, str(f.findings)] for f in story.findings.itertuples(index=False)]
    table = _table(
        slide,
        rows,
        (left, CONTENT_TOP + 0.45, width),
        [width - 1.2, 1.2],
        size=12,
        name="findings-table",
    )
    for i, severity in enumerate(story.findings["severity"], start=1):
        color = theme.SEVERITY_COLORS.get(severity)
        if color:  # the link colour of the Sankey: the table doubles as its legend
            cell = table.cell(i, 0)
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))
    flows = list(story.high_flows)
    shown = flows[:HIGH_FLOW_LINES]
    if len(flows) > len(shown):
        shown.append(f"+ {len(flows) - len(shown)} more in the register's data-flow findings")
    _text(
        slide,
        (left, CONTENT_TOP + 2.45, width, 0.4),
        ["Flows with High findings"],
        size=14,
        bold=True,
    )
    _text(
        slide,
        (left, CONTENT_TOP + 2.85, width, 2.4),
        shown or ["none"],
        size=12,
        name="high-flows",
    )


def _diagram_slide(slide, story: Story, pictures, why: str = "") -> None:
    """The diagram, fitted into the content area; without it (``why``: the error, not shown
    on the client's slide) the neutral :data:`DIAGRAM_MISSING` and the journeys' gaps."""
    _note(slide, story.reach_note, "diagram-caption", height=0.45)
    png = pictures.get(DIAGRAM)
    if png:
        _picture(slide, png, (MARGIN, CONTENT_TOP, CONTENT_WIDTH, 4.85), name="flow-diagram")
        return
    box = (MARGIN, CONTENT_TOP, CONTENT_WIDTH, 0.65)
    shape = _text(slide, box, [DIAGRAM_MISSING], size=12, color=MUTED, name="diagram-missing")
    _style_paragraph(shape.text_frame.paragraphs[0], size=14, bold=True, color=ACCENT)
    rows = [["Gap in the journeys", "Gaps"]]
    rows += [[g.kind, str(g.gaps)] for g in story.gap_kinds.itertuples(index=False)]
    _table(slide, rows, (MARGIN, CONTENT_TOP + 0.75, 3.6), [2.6, 1.0], size=12, name="gap-kinds")
    box = (MARGIN + 3.9, CONTENT_TOP + 0.75, CONTENT_WIDTH - 3.9, 4.0)
    _text(slide, box, list(story.gap_lines) or ["no gaps"], size=11, name="journey-gaps")


def _risk_slide(slide, story: Story, pictures) -> None:
    from pptx.chart.data import XyChartData
    from pptx.enum.chart import XL_CHART_TYPE

    points = story.risk_points
    box = (MARGIN, CONTENT_TOP, 6.6, 4.85)
    if points.empty:
        _text(slide, box, ["No problem for individuals to plot"], size=14, color=MUTED)
    else:  # one point per data action × problem: x = impact, y = likelihood
        data = XyChartData()
        for label, group in (
            (SERIES[0], points[~points["outlier"]]),
            (SERIES[1], points[points["outlier"]]),
        ):
            if len(group):
                series = data.add_series(label)
                for impact, likelihood in zip(group["impact"], group["likelihood"], strict=True):
                    series.add_data_point(float(impact), float(likelihood))
        frame = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER, *_inches(box), data)
        frame.name = "risk-chart"
        _style_scatter(frame.chart)
    left = MARGIN + box[2] + 0.3
    width = 13.333 - MARGIN - left
    _text(slide, (left, CONTENT_TOP, width, 0.4), ["Top outliers"], size=14, bold=True)
    box = (left, CONTENT_TOP + 0.45, width)
    widths = [1.6, 1.45, 0.95, 0.75, 0.65]
    _table(slide, story.outliers, box, widths, size=10, name="outliers-table", row_height=0.36)
    _note(slide, story.risk_note, "risk-caption", height=0.45)


def _style_scatter(chart) -> None:
    """Axes on NIST's scales (impact 0–50: five factors of 1–10; likelihood 0–10), markers only,
    the top outliers in vermillion, text in :data:`FONT`."""
    from pptx.enum.chart import XL_LEGEND_POSITION, XL_MARKER_STYLE

    chart.font.name, chart.font.size = FONT, Pt(11)
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
    for series in chart.plots[0].series:
        color = theme.SEVERITY_COLORS["High"] if series.name == SERIES[1] else theme.BLUE
        series.marker.style, series.marker.size = XL_MARKER_STYLE.CIRCLE, 9
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#"))
        series.marker.format.line.color.rgb = WHITE
    for axis, title, top, unit in (
        (chart.value_axis, "Likelihood (0–10)", 10, 2),
        (chart.category_axis, "Impact (sum of five cost factors, 5–50)", 50, 10),
    ):
        axis.minimum_scale, axis.maximum_scale, axis.major_unit = 0, top, unit
        axis.has_major_gridlines = True
        axis.major_gridlines.format.line.color.rgb = PANEL
        axis.has_title = True
        _set_text(axis.axis_title.text_frame, [title], size=11)


def _roadmap_slide(slide, story: Story, pictures) -> None:
    table = story.roadmap
    gutter = 0.25
    width = (CONTENT_WIDTH - 2 * gutter) / 3
    notes = []
    for i, priority in enumerate(PRIORITIES):
        left = MARGIN + i * (width + gutter)
        group = table[table["priority"] == priority]
        color = theme.PRIORITY_COLORS.get(priority, theme.BLUE)
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, *_inches((left, CONTENT_TOP, width, 0.1)))
        _fill(bar, RGBColor.from_string(color.lstrip("#")))
        count = len(group)
        _text(
            slide,
            (left, CONTENT_TOP + 0.12, width, 0.45),
            [f"{priority} priority: {count} gap{'' if count == 1 else 's'}"],
            size=15,
            bold=True,
            name=f"roadmap-{priority.lower()}-heading",
        )
        if not count:
            _text(slide, (left, CONTENT_TOP + 0.6, width, 0.4), ["no gaps"], size=12, color=MUTED)
            continue
        shown = group.head(ROADMAP_ROWS)
        rows = [["Subcategory", "Owner", "Due date"]]
        rows += [
            [r.subcategory, shorten(r.owner, OWNER_LIMIT), r.due_date]
            for r in shown.itertuples(index=False)
        ]
        more = count - len(shown)
        if more:
            rows.append([f"+ {more} more in the gap register", "", ""])
        grid = _table(
            slide,
            rows,
            (left, CONTENT_TOP + 0.6, width),
            [1.2, width - 2.35, 1.15],
            size=11,
            name=f"roadmap-{priority.lower()}",
            row_height=0.4,
            wrap_columns={1},
        )
        if more:  # one cell across the last row, so the note moves with the table
            last = len(rows) - 1
            grid.cell(last, 0).merge(grid.cell(last, 2))
            for run in grid.cell(last, 0).text_frame.paragraphs[0].runs:
                run.font.color.rgb = MUTED
        for r in group.itertuples(index=False):
            if r.recommended_action or r.status:
                detail = "; ".join(x for x in (r.recommended_action, r.status) if x)
                notes.append(f"{r.subcategory} ({r.priority}, {r.owner}, {r.due_date}): {detail}")
    if notes:  # the actions carried over from the register, for the presenter
        _set_text(slide.notes_slide.notes_text_frame, notes, size=12)


def _method_slide(slide, story: Story, pictures) -> None:
    # The method's rows, as the register and the report state them, in two columns across the
    # slide; the sources in a band below.
    method = _labelled(
        slide, (MARGIN, CONTENT_TOP, CONTENT_WIDTH, 4.15), story.method, "method", size=10
    )
    _columns(method.text_frame, 2, gap=0.3)
    top = CONTENT_TOP + 4.25
    _text(slide, (MARGIN, top, CONTENT_WIDTH, 0.3), ["Sources"], size=11, bold=True)
    sources = _labelled(
        slide, (MARGIN, top + 0.3, CONTENT_WIDTH, 0.85), story.sources, "sources", size=9
    )
    _columns(sources.text_frame, 2, gap=0.3)


# -- drawing helpers -----------------------------------------------------------------------------


def _note(slide, text: str, name: str | None = None, *, height: float = 0.35):
    """A muted caption across the foot of the content area (two lines need ``height`` 0.45)."""
    box = (MARGIN, 6.55, CONTENT_WIDTH, height)
    return _text(slide, box, [text], size=11, color=MUTED, name=name)


def _heading(slide, section: str, title: str) -> None:
    _text(
        slide,
        (MARGIN, 0.3, CONTENT_WIDTH, 0.35),
        [section.upper()],
        size=12,
        bold=True,
        color=ACCENT,
        name="section",
    )
    shape = slide.shapes.title
    _place(shape, (MARGIN, 0.62, CONTENT_WIDTH, 0.95))
    _set_text(shape.text_frame, [title], size=24, bold=True, anchor=MSO_ANCHOR.TOP)


def _footer(slide, story: Story, number: int, total: int) -> None:
    parts = [story.client, story.framework_title + " assessment", story.date]
    _text(
        slide,
        (MARGIN, 7.05, CONTENT_WIDTH - 1.0, 0.3),
        [" · ".join(p for p in parts if p)],
        size=10,
        color=MUTED,
        name="footer",
    )
    _text(
        slide,
        (13.333 - MARGIN - 1.0, 7.05, 1.0, 0.3),
        [f"{number} / {total}"],
        size=10,
        color=MUTED,
        align=PP_ALIGN.RIGHT,
        name="page",
    )


def _labelled(slide, box, items: Sequence[tuple[str, str]], name: str, *, size: float = 12):
    shape = slide.shapes.add_textbox(*_inches(box))
    shape.name = name
    frame = shape.text_frame
    _frame_defaults(frame)
    for i, (label, text) in enumerate(items):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.space_after = Pt(size / 3)
        _run(paragraph, f"{label}: ", size=size, bold=True, color=TEXT)
        _run(paragraph, text, size=size, color=TEXT)
    return shape


def _columns(frame, count: int, *, gap: float) -> None:
    """Lay ``frame``'s text in ``count`` columns ``gap`` inches apart (a text box's own
    columns, as PowerPoint and LibreOffice Impress set them)."""
    body = frame._txBody.bodyPr
    body.set("numCol", str(count))
    body.set("spcCol", str(int(Inches(gap))))


def _text(
    slide,
    box,
    lines: Sequence[str],
    *,
    size: float,
    bold: bool = False,
    color: RGBColor = TEXT,
    align=None,
    name: str | None = None,
):
    shape = slide.shapes.add_textbox(*_inches(box))
    if name:
        shape.name = name
    _frame_defaults(shape.text_frame)
    _set_text(shape.text_frame, lines, size=size, bold=bold, color=color, align=align)
    return shape


def _set_text(
    frame,
    lines: Sequence[str],
    *,
    size: float,
    bold: bool = False,
    color: RGBColor = TEXT,
    align=None,
    anchor=None,
) -> None:
    """Replace ``frame``'s text with one paragraph per line, each a single run in :data:`FONT`."""
    frame.clear()
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    if anchor is not None:
        frame.vertical_anchor = anchor
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        elif anchor is not None:
            paragraph.alignment = PP_ALIGN.LEFT
        _run(paragraph, line, size=size, bold=bold, color=color)


def _run(paragraph, text: str, *, size: float, bold: bool = False, color: RGBColor = TEXT):
    run = paragraph.add_run()
    run.text = text
    font = run.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = color
    return run


def _style_paragraph(paragraph, *, size: float, bold: bool = False, color: RGBColor = TEXT):
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = color


def _frame_defaults(frame) -> None:
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = Inches(0.05)
    frame.margin_top = frame.margin_bottom = Inches(0.03)


def _table(
    slide,
    rows: Sequence[Sequence[str]],
    box,
    widths: Sequence[float],
    *,
    size: float,
    name: str,
    row_height: float = 0.4,
    wrap_columns: set[int] | frozenset = frozenset(),
):
    """A native table: a header row on the accent colour, banded body rows, text in
    :data:`FONT`, numbers right-aligned (every column whose body cells all parse as numbers)."""
    left, top, width = box
    scale = width / sum(widths)
    shape = slide.shapes.add_table(
        len(rows),
        len(widths),
        Inches(left),
        Inches(top),
        Inches(width),
        Inches(row_height * len(rows)),
    )
    shape.name = name
    table = shape.table
    table.first_row = True
    table.horz_banding = False
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w * scale)
    for i in range(len(rows)):
        table.rows[i].height = Inches(row_height)
    numeric = {
        j
        for j in range(len(widths))
        if len(rows) > 1 and all(_is_number(row[j]) for row in rows[1:])
    }
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.07)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = ACCENT if i == 0 else (BAND if i % 2 == 0 else WHITE)
            frame = cell.text_frame
            frame.clear()
            frame.word_wrap = i == 0 or j in wrap_columns or j not in numeric
            paragraph = frame.paragraphs[0]
            if j in numeric:
                paragraph.alignment = PP_ALIGN.RIGHT
            _run(paragraph, str(value), size=size, bold=i == 0, color=WHITE if i == 0 else TEXT)
    return table


def _picture(slide, png: bytes, box, *, name: str = "chart") -> None:
    """``png`` fitted into ``box`` (its aspect ratio kept) and centred there."""
    left, top, width, height = box
    px_width, px_height = png_size(png)
    fit = min(width / px_width, height / px_height)
    w, h = px_width * fit, px_height * fit
    picture = slide.shapes.add_picture(
        io.BytesIO(png),
        Inches(left + (width - w) / 2),
        Inches(top + (height - h) / 2),
        Inches(w),
        Inches(h),
    )
    picture.name = name


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])


def _place(shape, box) -> None:
    shape.left, shape.top, shape.width, shape.height = _inches(box)


def _fill(shape, color: RGBColor) -> None:
    """A flat fill: no outline, no shadow, no theme style (whose effects some viewers draw)."""
    style = shape._element.find(qn("p:style"))
    if style is not None:
        shape._element.remove(style)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()
    shape.shadow.inherit = False


def _inches(box) -> tuple[Emu, ...]:
    return tuple(Inches(v) for v in box)


def _n(value: float) -> str:
    return f"{fixed(value)}"


def _is_number(text: str) -> bool:
    try:
        float(str(text).rstrip("%"))
    except ValueError:
        return False
    return True
