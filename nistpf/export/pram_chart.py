"""The NIST PRAM heat map: every problem for individuals on every data action placed by its
likelihood and impact (:func:`pram_heatmap`, also ``nistpf.export.charts.pram_heatmap``).

NIST's Privacy Risk Assessment Methodology (PRAM, 2019), worksheet 3: likelihood on a 0–10
scale, impact the sum of five organisational cost factors (noncompliance, direct business,
reputational, internal culture, other), each 1–10, so 5–50; risk = likelihood × impact. The
values plotted are :func:`nistpf.pram`'s, unrounded.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

from nistpf.assessment import Assessment
from nistpf.export import theme
from nistpf.flows.pram import FACTORS, SCALE, analyse
from nistpf.numbers import fixed

IMPACT_RANGE = (SCALE[0] * len(FACTORS), SCALE[1] * len(FACTORS))  # 5–50
LIKELIHOOD_RANGE = (0, 10)  # NIST's 1–10, and 0 for a concern that does not arise
# Risk zones behind the points: white at the lowest risk to vermillion at the highest.
RISK_COLORSCALE = [[0.0, "#FFFFFF"], [0.35, "#FDEBD0"], [0.7, "#F6C09E"], [1.0, "#EE9A76"]]
OUTLIER_COLOR = theme.VERMILLION
PROBLEM_COLOR = theme.BLUE


def amount(value: float) -> str:
    """A PRAM figure as shown: whole as it is (``175``), else to two decimals (a consultant's
    edit may give ``6.5``)."""
    number = float(value)
    return fixed(number, 0) if number.is_integer() else fixed(number)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=False)


def _labels(rows) -> list[str]:
    """One label per spot the outliers share (the first point there; the others ""): each data
    action at it by its flow ID, with its problem, or how many problems it has there."""
    spots: dict[tuple[float, float], dict[str, list[str]]] = {}
    for r in rows.itertuples(index=False):
        spot = spots.setdefault((float(r.impact), float(r.likelihood)), {})
        spot.setdefault(r.data_action, []).append(r.problem)
    labels, seen = [], set()
    for r in rows.itertuples(index=False):
        spot = (float(r.impact), float(r.likelihood))
        if spot in seen:
            labels.append("")
            continue
        seen.add(spot)
        labels.append(
            "<br>".join(
                f"{_esc(action.split(':')[0])} "
                + (_esc(found[0]) if len(found) == 1 else f"({len(found)} problems)")
                for action, found in spots[spot].items()
            )
        )
    return labels


def _positions(rows) -> list[str]:
    """Labels of neighbouring spots above and below in turn, so that they do not overlap."""
    spots = [(float(x), float(y)) for x, y in zip(rows["impact"], rows["likelihood"], strict=True)]
    place = {
        spot: ("top center", "bottom center")[i % 2] for i, spot in enumerate(sorted(set(spots)))
    }
    return [place[spot] for spot in spots]


def pram_heatmap(a: Assessment) -> go.Figure:
    """Likelihood × impact of every problem for individuals (``nistpf.pram(a).problems``), one
    point per data action × problem: x is the impact (NIST: the sum of the five cost factors,
    5–50), y the likelihood (0–10), over a background coloured by risk = x × y. Two scatter
    traces, ``Problems`` and ``Top outliers`` (NIST's "Top 5 Outliers", highlighted and
    labelled, one label per spot they share); each point's ``customdata`` is
    ``[data_action, problem, risk]`` and its hover text names the data action, the problem,
    the problematic data actions and the arithmetic. A figure with a message and no point when
    no rule finds a problem."""
    p = analyse(a)
    problems = p.problems
    names = dict(zip(p.data_actions["data_action"], p.data_actions["name"], strict=True))
    fig = go.Figure(layout={"template": theme.TEMPLATE_NAME, "height": 560})
    if problems.empty:
        fig.update_layout(title={"text": "No problematic data action found by the rules"})
        return theme.empty(fig, "no problem for individuals to weigh")
    top = p.outliers.iloc[0]
    title = (
        f"{_esc(top['data_action'])} carries the highest risk: {_esc(top['problem'])}, "
        f"{amount(top['likelihood'])} × {amount(top['impact'])} = {amount(top['risk'])}"
    )
    fig.update_layout(
        title={
            "text": title,
            "subtitle": {
                "text": "Each point is a problem for individuals on a data action (NIST PRAM "
                "worksheet 3); the top outliers in vermillion"
            },
        }
    )
    low, high = IMPACT_RANGE
    xs = list(range(low, high + 1))
    ys = list(range(LIKELIHOOD_RANGE[0], LIKELIHOOD_RANGE[1] + 1))
    fig.add_trace(
        go.Heatmap(
            x=xs,
            y=ys,
            z=[[x * y for x in xs] for y in ys],
            zmin=low * ys[0],
            zmax=high * ys[-1],
            colorscale=RISK_COLORSCALE,
            colorbar={"title": {"text": "Risk"}},
            hoverinfo="skip",
            name="Risk",
        )
    )
    for name, rows, color, size, labelled in (
        ("Problems", problems[~problems["outlier"]], PROBLEM_COLOR, 9, False),
        ("Top outliers", problems[problems["outlier"]], OUTLIER_COLOR, 13, True),
    ):
        if rows.empty:
            continue
        hover = [
            f"<b>{_esc(r.data_action)}</b>: {_esc(names.get(r.data_action, ''))}<br>"
            f"{_esc(r.problem)} ({_esc('; '.join(r.problematic_data_actions)) or 'edited'})<br>"
            f"likelihood {amount(r.likelihood)} × impact {amount(r.impact)} = risk "
            f"{amount(r.risk)}"
            for r in rows.itertuples(index=False)
        ]
        fig.add_trace(
            go.Scatter(
                x=[float(v) for v in rows["impact"]],
                y=[float(v) for v in rows["likelihood"]],
                mode="markers+text" if labelled else "markers",
                name=name,
                text=_labels(rows) if labelled else [""] * len(rows),
                textposition=_positions(rows) if labelled else "top center",
                textfont={"size": theme.BODY_SIZE - 2, "color": color},
                customdata=[
                    [d, q, float(r)]
                    for d, q, r in zip(
                        rows["data_action"], rows["problem"], rows["risk"], strict=True
                    )
                ],
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                marker={
                    "color": color,
                    "size": size,
                    "opacity": 0.85,
                    "line": {"color": "#FFFFFF", "width": 1},
                },
            )
        )
    fig.update_xaxes(
        title={"text": "Impact (sum of the five cost factors)"},
        range=[low - 1, high + 1],
        dtick=5,
        showgrid=False,
    )
    fig.update_yaxes(
        title={"text": "Likelihood"},
        range=[LIKELIHOOD_RANGE[0] - 0.6, LIKELIHOOD_RANGE[1] + 0.6],
        dtick=1,
        showgrid=False,
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.15})
    return fig
