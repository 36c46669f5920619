"""One look for every chart, image, report and slide nistpf produces.

Colours are the Okabe-Ito palette (Okabe & Ito, *Color Universal Design*, 2008), which people
with any common form of colour-vision deficiency tell apart; the level scales run from
vermillion (low) through light grey to blue (high), an orange-blue contrast that also survives
deuteranopia and greyscale printing. The font is one that stock Linux, Windows and macOS machines
have, so a PNG rendered in CI looks like the chart on the consultant's laptop.

Importing this module registers the plotly template :data:`TEMPLATE_NAME` (``"nistpf"``); it does
not change plotly's default template. Another exporter (images, slides) reuses the constants:

>>> from nistpf.export.theme import PALETTE, FONT_FAMILY, TEMPLATE_NAME
>>> PALETTE[0], TEMPLATE_NAME
('#0072B2', 'nistpf')
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "nistpf"

# Okabe-Ito, in the order series take them: vermillion comes late because it also means "High"
# and "far below target" in these charts; black comes last (it draws "Overall").
BLUE = "#0072B2"
ORANGE = "#E69F00"
BLUISH_GREEN = "#009E73"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
SKY_BLUE = "#56B4E9"
YELLOW = "#F0E442"
BLACK = "#000000"
PALETTE: tuple[str, ...] = (
    BLUE,
    ORANGE,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    BLACK,
)

FONT_FAMILY = "Liberation Sans, Arial, Helvetica, sans-serif"
TEXT_COLOR = "#222222"
MUTED_COLOR = "#666666"
GRID_COLOR = "#E3E3E3"
BACKGROUND = "#FFFFFF"

CURRENT_COLOR = BLUE  # what the organisation achieves
TARGET_COLOR = ORANGE  # what its Target Profile asks
OVERALL_COLOR = BLACK
SEVERITY_COLORS = {"High": VERMILLION, "Medium": ORANGE, "Low": YELLOW}
# Links of a Sankey with a finding: the severity colours, a little translucent so that the
# node labels drawn across them stay legible.
SEVERITY_LINK_COLORS = {
    "High": "rgba(213, 94, 0, 0.80)",
    "Medium": "rgba(230, 159, 0, 0.80)",
    "Low": "rgba(240, 228, 66, 0.85)",
}
NO_FINDING_LINK = "rgba(120, 120, 120, 0.30)"  # a data flow with no finding
NODE_COLORS = {
    "system": "#4D4D4D",
    "external": SKY_BLUE,
    "unknown": VERMILLION,  # a system the Systems sheet does not list
    "internal": "#A6A6A6",  # where a flow inside one system ends (a disposal, say)
}
PRIORITY_COLORS = {"High": VERMILLION, "Moderate": ORANGE, "Low": SKY_BLUE}

# Level colour scale for values from 0 (vermillion) to the scale's maximum (blue).
LEVEL_COLORSCALE: tuple[tuple[float, str], ...] = (
    (0.0, VERMILLION),
    (0.25, "#EFA071"),
    (0.5, "#F2F2F2"),
    (0.75, "#73A9D4"),
    (1.0, BLUE),
)
# Gap colour scale for a gap of 0 (blue, target met) up to the scale's maximum (vermillion).
GAP_COLORSCALE: tuple[tuple[float, str], ...] = tuple(
    (round(1.0 - stop, 2), color) for stop, color in reversed(LEVEL_COLORSCALE)
)

TITLE_SIZE = 18
BODY_SIZE = 13

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": BODY_SIZE, "color": TEXT_COLOR},
        colorway=list(PALETTE),
        paper_bgcolor=BACKGROUND,
        plot_bgcolor=BACKGROUND,
        title={
            "x": 0.015,
            "xanchor": "left",
            "xref": "container",
            "font": {"size": TITLE_SIZE, "color": TEXT_COLOR},
            "subtitle": {"font": {"size": BODY_SIZE - 1, "color": MUTED_COLOR}},
        },
        margin={"l": 70, "r": 30, "t": 90, "b": 50},
        hoverlabel={"font": {"family": FONT_FAMILY, "size": BODY_SIZE}, "align": "left"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        xaxis={
            "gridcolor": GRID_COLOR,
            "linecolor": "#BBBBBB",
            "zerolinecolor": GRID_COLOR,
            "automargin": True,
            "ticks": "",
        },
        yaxis={
            "gridcolor": GRID_COLOR,
            "linecolor": "#BBBBBB",
            "zerolinecolor": GRID_COLOR,
            "automargin": True,
            "ticks": "",
        },
        polar={
            "bgcolor": BACKGROUND,
            "angularaxis": {"gridcolor": GRID_COLOR, "linecolor": "#BBBBBB"},
            "radialaxis": {"gridcolor": GRID_COLOR, "linecolor": "#BBBBBB"},
        },
        colorscale={"sequential": [list(stop) for stop in LEVEL_COLORSCALE]},
    )
)
pio.templates[TEMPLATE_NAME] = TEMPLATE


def level_axis(labels: dict[int, str], *, numbered: bool = True) -> dict:
    """Tick settings that show a scale's labels on a level axis (``0 Not performed`` …)."""
    return {
        "tickmode": "array",
        "tickvals": list(labels),
        "ticktext": [f"{level} {label}" if numbered else label for level, label in labels.items()],
    }


def empty(fig: go.Figure, message: str) -> go.Figure:
    """``fig`` with ``message`` in its middle and no axes: a chart with nothing to draw."""
    fig.add_annotation(
        text=message,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": BODY_SIZE + 2, "color": MUTED_COLOR},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
