"""Small, dependency-free SVG charts for self-contained HTML reports.

Two functions, enough for the simulator's report: :func:`line_chart` (lines over stacked areas,
for time series, with labelled vertical :class:`Rule` marks for dated events), :func:`bar_chart`
(grouped or stacked bars over categories, with reference :class:`Band` marks) and the helpers
they share (:func:`nice_ticks`, :func:`compact`). Each returns one ``<svg>`` element as a
string, sized by its ``viewBox`` so it scales to the page width, with:

* a visible title, and a ``<title>`` and ``<desc>`` referenced by ``aria-labelledby`` (what
  a screen reader says);
* axes with ticks and labels, and a legend when there is more than one series;
* a ``<title>`` on every bar and on a hover band per x value (the browser shows it as a tooltip).

All text is escaped here, so callers pass plain strings. Output is deterministic: coordinates
are rounded to 0.1 and nothing depends on time or on dict order the caller did not choose.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt

#: Categorical colours: Okabe & Ito's colour-blind-safe palette, with the orange and the pink
#: darkened (and the yellow and sky blue left out) so that every colour stands at least 3:1
#: against white (WCAG 1.4.11 for graphics), then a few darker extras.
PALETTE = (
    "#0072B2",  # blue
    "#BC7A00",  # orange
    "#009E73",  # bluish green
    "#C0609C",  # reddish purple
    "#D55E00",  # vermillion
    "#6A3D9A",  # purple
    "#8C564B",  # brown
    "#7F7F7F",  # grey
    "#1B7837",  # dark green
    "#0B7A9E",  # teal
)
AXIS = "#444444"
GRID = "#DDDDDD"
TEXT = "#1A1A1A"
MUTED = "#555555"
FONT = 12  # px in viewBox units
TITLE_H = 26.0  # the band at the top with the chart's visible title
MAX_BAR_W = 90.0

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One named series of values (one per x value or category)."""

    name: str
    values: Sequence[float] | npt.NDArray[np.float64]
    color: str
    dashed: bool = False


@dataclass(frozen=True)
class Rule:
    """A labelled vertical rule on a time axis (an agreement, a clause's start or end): at
    ``x``, with a short visible ``label`` and a longer ``tip`` (the tooltip)."""

    x: float
    label: str
    tip: str = ""


@dataclass(frozen=True)
class Band:
    """A reference value per category with a band around it (a public figure and its
    tolerance): ``values`` (NaN: none there) between ``lo`` and ``hi``."""

    name: str
    values: Sequence[float] | npt.NDArray[np.float64]
    lo: Sequence[float] | npt.NDArray[np.float64]
    hi: Sequence[float] | npt.NDArray[np.float64]
    color: str = "#1A1A1A"


RULE_COLOR = "#333333"
RULE_ROW_H = FONT + 4.0


def _rule_rows(
    rules: Sequence[Rule], x_of: Callable[[float], float], right_edge: float
) -> list[tuple[Rule, float, int, bool]]:
    """Each rule's x position, the label row it goes in (so labels never overlap) and whether
    its label runs left of the rule (near the right edge)."""
    ends: list[float] = []  # per row: where the last label ends
    out = []
    for r in sorted(rules, key=lambda r: r.x):
        cx = x_of(r.x)
        w = _text_width(r.label, FONT - 1) + 6
        left = cx + w > right_edge and cx - w >= 0
        a, b = (cx - w, cx) if left else (cx, cx + w)
        row = next((i for i, e in enumerate(ends) if a > e + 4), len(ends))
        if row == len(ends):
            ends.append(b)
        else:
            ends[row] = b
        out.append((r, cx, row, left))
    return out


def color_for(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def compact(v: float) -> str:
    """1234 → 1.2k, 5.6e6 → 5.6M, 0.25 → 0.25: short tick labels."""
    if not math.isfinite(v):
        return "—"
    a = abs(v)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return _trim(f"{v / div:.1f}") + suffix
    if a >= 10 or a == 0:
        return f"{v:.0f}"
    if a >= 1:
        return _trim(f"{v:.1f}")
    return _trim(f"{v:.2g}")


def _trim(s: str) -> str:
    return s[:-2] if s.endswith(".0") else s


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k).

    The step is never finer than floats can show at the range's magnitude (a few units in the
    last place), so a tiny range around a large value still gets distinct, equal steps."""
    if not math.isfinite(lo):
        lo = 0.0
    if not math.isfinite(hi) or hi <= lo:
        hi = lo + max(1.0, 4 * math.ulp(lo))
    finest = 4 * math.ulp(max(abs(lo), abs(hi)))
    raw = max((hi - lo) / max(1, n), finest)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step)
    last = max(math.ceil(hi / step - 1e-9), first + 1)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _f(v: float) -> str:
    """A coordinate: one decimal, no '-0.0'."""
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def _text_width(s: str, size: float = FONT) -> float:
    return len(s) * size * 0.58


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    cid = escape(chart_id, quote=True)
    fit = int((width - 16) / ((FONT + 3) * 0.6))  # the visible title is cut to the width
    shown = title if len(title) <= fit else title[: fit - 1].rstrip() + "…"
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" '
        f'font-size="{FONT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        f'<text class="chart-title" x="8" y="17" font-size="{FONT + 3}" font-weight="600" '
        f'fill="{TEXT}" aria-hidden="true">{escape(shown)}</text>',
    ]


def _legend(
    series: Sequence[Series], x0: float, y0: float, max_w: float
) -> tuple[list[str], float]:
    """Legend items left to right, wrapping at ``max_w``; returns the elements and its height."""
    out: list[str] = []
    x, y = x0, y0
    row_h = FONT + 8
    for s in series:
        w = 22 + _text_width(s.name) + 16
        if x > x0 and x + w > x0 + max_w:
            x = x0
            y += row_h
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        if s.dashed:
            mark = (
                f'<line x1="{_f(x)}" y1="{_f(y + FONT / 2)}" x2="{_f(x + 16)}" '
                f'y2="{_f(y + FONT / 2)}" stroke="{s.color}" stroke-width="2.5"{dash}/>'
            )
        else:
            mark = (
                f'<rect x="{_f(x)}" y="{_f(y + 1)}" width="14" height="{FONT - 2}" '
                f'fill="{s.color}"/>'
            )
        out.append(
            f'<g class="legend-item">{mark}<text x="{_f(x + 20)}" y="{_f(y + FONT - 1)}" '
            f'fill="{TEXT}">{escape(s.name)}</text></g>'
        )
        x += w
    return out, (y - y0) + row_h if series else 0.0


def _legend_height(series: Sequence[Series], max_w: float) -> float:
    return _legend(series, 0.0, 0.0, max_w)[1]


def _y_axis(
    ticks: Sequence[float],
    y_of: Callable[[float], float],
    left: float,
    right: float,
    fmt: Formatter,
    label: str,
    top: float,
    bottom: float,
) -> list[str]:
    out = ['<g class="y-axis">']
    for t in ticks:
        y = y_of(t)
        out.append(
            f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(right)}" y2="{_f(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" '
            f'fill="{MUTED}">{escape(fmt(t))}</text>'
        )
    out.append(
        f'<line x1="{_f(left)}" y1="{_f(top)}" x2="{_f(left)}" y2="{_f(bottom)}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    if label:
        mid = (top + bottom) / 2
        out.append(
            f'<text transform="translate(14 {_f(mid)}) rotate(-90)" text-anchor="middle" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
    out.append("</g>")
    return out


def _empty(out: list[str], width: int, height: int, message: str) -> str:
    out.append(
        f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
        f'fill="{MUTED}" font-size="{FONT + 2}">{escape(message)}</text></svg>'
    )
    return "".join(out)


def _arr(values: Sequence[float] | npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    a = np.asarray(values, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"series has {a.size} values, expected {n}")
    return np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x: Sequence[float] | npt.NDArray[np.float64],
    areas: Sequence[Series] = (),
    lines: Sequence[Series] = (),
    x_ticks: Sequence[tuple[float, str]] = (),
    x_hover: Sequence[str] | None = None,
    x_label: str = "",
    y_label: str = "",
    y_format: Formatter = compact,
    legend: bool | None = None,
    width: int = 880,
    height: int = 320,
    empty_message: str = "no data",
    rules: Sequence[Rule] = (),
) -> str:
    """Stacked ``areas`` (in order, bottom first) with ``lines`` drawn on top, over numeric
    ``x`` (increasing). ``x_ticks``: (x, label) pairs for the axis; ``x_hover``: a label per x
    value for the tooltips; ``rules``: labelled vertical rules (inside the x range), their
    labels in rows above the plot so that none overlaps another."""
    xs = np.asarray(x, dtype=np.float64)
    n = xs.size
    legend_items = [*areas, *lines]
    show_legend = len(legend_items) > 1 if legend is None else legend and bool(legend_items)
    left, right, top = 72.0, 16.0, TITLE_H + 10.0
    plot_w = width - left - right
    leg_h = _legend_height(legend_items, plot_w) if show_legend else 0.0
    bottom_pad = 34.0 + (16.0 if x_label else 0.0)
    xs0 = float(xs[0]) if n else 0.0
    xs1 = float(xs[-1]) if n else 1.0
    shown_rules = [r for r in rules if n and xs0 - 1e-9 <= r.x <= xs1 + 1e-9]
    placed = _rule_rows(
        shown_rules,
        lambda v: left + (v - xs0) / (xs1 - xs0 if xs1 > xs0 else 1.0) * plot_w,
        width - right,
    )
    rule_h = (max(row for _, _, row, _ in placed) + 1) * RULE_ROW_H if placed else 0.0
    top += rule_h
    total_h = int(height + leg_h + rule_h)
    height = int(height + rule_h)
    out = _open(chart_id, title, desc, width, total_h)
    if n == 0:
        return _empty(out, width, total_h, empty_message)
    plot_bottom = height - bottom_pad
    area_vals = [_arr(s.values, n) for s in areas]
    line_vals = [_arr(s.values, n) for s in lines]
    stack = np.cumsum(np.vstack(area_vals), axis=0) if area_vals else np.zeros((0, n))
    y_max = max(
        float(stack[-1].max()) if area_vals else 0.0,
        max((float(v.max()) for v in line_vals), default=0.0),
    )
    y_ticks = nice_ticks(0.0, y_max if y_max > 0 else 1.0)
    y_top = y_ticks[-1]
    x_min, x_max = float(xs[0]), float(xs[-1])
    span = x_max - x_min if x_max > x_min else 1.0

    def x_of(v: float) -> float:
        return left + (v - x_min) / span * plot_w

    def y_of(v: float) -> float:
        return plot_bottom - v / y_top * (plot_bottom - top)

    px = left + (xs - x_min) / span * plot_w
    out += _y_axis(y_ticks, y_of, left, width - right, y_format, y_label, top, plot_bottom)
    # x axis
    out.append(
        f'<g class="x-axis"><line x1="{_f(left)}" y1="{_f(plot_bottom)}" '
        f'x2="{_f(width - right)}" y2="{_f(plot_bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    last_end = -math.inf
    for tx, label in x_ticks:
        if tx < x_min - 1e-9 or tx > x_max + 1e-9:
            continue
        cx = x_of(tx)
        w = _text_width(label)
        anchor_x = min(max(cx, left + w / 2), width - right - w / 2)
        if anchor_x - w / 2 < last_end + 8:
            continue  # would overlap the previous label
        last_end = anchor_x + w / 2
        out.append(
            f'<line x1="{_f(cx)}" y1="{_f(plot_bottom)}" x2="{_f(cx)}" '
            f'y2="{_f(plot_bottom + 5)}" stroke="{AXIS}"/>'
            f'<text x="{_f(anchor_x)}" y="{_f(plot_bottom + 18)}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
    if x_label:
        out.append(
            f'<text x="{_f(left + plot_w / 2)}" y="{_f(plot_bottom + 34)}" '
            f'text-anchor="middle" fill="{TEXT}">{escape(x_label)}</text>'
        )
    out.append("</g>")
    # stacked areas, bottom first
    prev = np.zeros(n)
    for s, top_vals in zip(areas, stack, strict=True):
        upper = " ".join(f"{_f(a)},{_f(y_of(b))}" for a, b in zip(px, top_vals, strict=True))
        lower = " ".join(
            f"{_f(a)},{_f(y_of(b))}" for a, b in zip(px[::-1], prev[::-1], strict=True)
        )
        out.append(
            f'<polygon class="area" points="{upper} {lower}" fill="{s.color}" '
            f'fill-opacity="0.85" stroke="{s.color}" stroke-width="0.5">'
            f"<title>{escape(s.name)}</title></polygon>"
        )
        prev = top_vals
    for s, vals in zip(lines, line_vals, strict=True):
        pts = " ".join(f"{_f(a)},{_f(y_of(b))}" for a, b in zip(px, vals, strict=True))
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        out.append(
            f'<polyline class="line" points="{pts}" fill="none" stroke="{s.color}" '
            f'stroke-width="2"{dash} stroke-linejoin="round"><title>{escape(s.name)}</title>'
            "</polyline>"
        )
    # hover bands: one transparent column per x value, its tooltip listing every series
    if x_hover is not None:
        if len(x_hover) != n:
            raise ValueError(f"x_hover has {len(x_hover)} labels, expected {n}")
        edges = np.empty(n + 1)
        edges[1:-1] = (px[:-1] + px[1:]) / 2
        edges[0], edges[-1] = left, width - right
        out.append('<g class="hover" fill="#000000" fill-opacity="0">')
        named = [(s.name, v) for s, v in zip(areas, area_vals, strict=True)] + [
            (s.name, v) for s, v in zip(lines, line_vals, strict=True)
        ]
        for i in range(n):
            tip = escape(
                x_hover[i] + "".join(f"\n{name}: {y_format(float(v[i]))}" for name, v in named)
            )
            out.append(
                f'<rect x="{_f(edges[i])}" y="{_f(top)}" '
                f'width="{_f(max(edges[i + 1] - edges[i], 0.1))}" '
                f'height="{_f(plot_bottom - top)}"><title>{tip}</title></rect>'
            )
        out.append("</g>")
    if placed:
        out.append('<g class="rules">')
        for r, cx, row, to_left in placed:
            ly = top - rule_h + row * RULE_ROW_H + FONT - 1
            tip = escape(r.tip or r.label)
            anchor = "end" if to_left else "start"
            tx = cx - 3 if to_left else cx + 3
            out.append(
                f'<g class="rule" data-x="{_f(cx)}"><title>{tip}</title>'
                f'<line x1="{_f(cx)}" y1="{_f(ly - FONT + 3)}" x2="{_f(cx)}" '
                f'y2="{_f(plot_bottom)}" stroke="{RULE_COLOR}" stroke-width="1.2" '
                f'stroke-dasharray="3 3"/>'
                f'<text x="{_f(tx)}" y="{_f(ly)}" text-anchor="{anchor}" '
                f'font-size="{FONT - 1}" fill="{TEXT}">{escape(r.label)}</text></g>'
            )
        out.append("</g>")
    if show_legend:
        items, _ = _legend(legend_items, left, height - 4, plot_w)
        out += items
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    y_label: str = "",
    y_format: Formatter = compact,
    value_format: Formatter | None = None,
    value_labels: bool = False,
    y_max: float | None = None,
    y_log: bool = False,
    legend: bool | None = None,
    width: int = 880,
    height: int = 300,
    empty_message: str = "no data",
    markers: Sequence[Series] = (),
    bands: Sequence[Band] = (),
) -> str:
    """Bars per category: side by side (grouped) or ``stacked``. ``value_labels`` writes each
    bar's value (grouped) or each stack's total (stacked) above it; ``y_max`` fixes the top of
    the axis (e.g. 1.0 for shares). With several series, zero values get no label.
    ``y_log``: a logarithmic axis (powers of ten from 1; for counts spanning decades; zero
    has no bar). ``legend``: force the legend on or off (default: more than one series).
    ``markers``: reference values drawn as a dashed level across a category's bars (NaN: none
    there), e.g. a public figure beside a modelled one; they join the legend. ``bands``: a
    reference value with a band around it per category (a public figure ± its tolerance),
    drawn as a shaded band with a whisker and a solid level."""
    n = len(categories)
    fmt_v = value_format or y_format
    marks = [(s, np.asarray(s.values, dtype=np.float64).reshape(-1)) for s in markers]
    for _, mv in marks:
        if mv.shape != (n,):
            raise ValueError(f"marker has {mv.size} values, expected {n}")
    bnds = [
        (
            b,
            np.asarray(b.values, dtype=np.float64).reshape(-1),
            np.asarray(b.lo, dtype=np.float64).reshape(-1),
            np.asarray(b.hi, dtype=np.float64).reshape(-1),
        )
        for b in bands
    ]
    for _, bv, bl, bh in bnds:
        if not bv.shape == bl.shape == bh.shape == (n,):
            raise ValueError(f"band has {bv.size} values, expected {n}")
    legend_series = [
        *series,
        *(Series(s.name, s.values, s.color, dashed=True) for s in markers),
        *(Series(b.name, b.values, b.color) for b in bands),
    ]
    show_legend = len(legend_series) > 1 if legend is None else legend and bool(legend_series)
    left, right, top = 72.0, 16.0, TITLE_H + 12.0 + (FONT if value_labels else 0.0)
    plot_w = width - left - right
    leg_h = _legend_height(legend_series, plot_w) if show_legend else 0.0
    longest = max((_text_width(c) for c in categories), default=0.0)
    slot = plot_w / max(1, n)
    rotate = longest > slot - 6
    label_h = min(longest, 130.0) * 0.72 + 14 if rotate else 22.0
    plot_bottom = height - 30.0
    legend_y = plot_bottom + label_h + 8.0
    total_h = int(legend_y + leg_h)
    out = _open(chart_id, title, desc, width, total_h)
    if n == 0 or not series:
        return _empty(out, width, total_h, empty_message)
    vals = [_arr(s.values, n) for s in series]
    stack = np.cumsum(np.vstack(vals), axis=0)
    top_value = float(stack[-1].max()) if stacked else max(float(v.max()) for v in vals)
    for _, mv in marks:
        finite = mv[np.isfinite(mv)]
        if finite.size:
            top_value = max(top_value, float(finite.max()))
    for _, _, _, bh in bnds:
        finite = bh[np.isfinite(bh)]
        if finite.size:
            top_value = max(top_value, float(finite.max()))
    if y_log:
        decades = max(1, math.ceil(math.log10(max(top_value, 1.0)) - 1e-9))
        y_ticks = [10.0**k for k in range(decades + 1)]
        lo = math.log10(0.5)  # the baseline sits below 1, so a count of 1 still shows
        span = math.log10(y_ticks[-1]) - lo

        def y_of(v: float) -> float:
            if v <= 0:
                return plot_bottom
            return plot_bottom - (math.log10(v) - lo) / span * (plot_bottom - top)

    else:
        y_ticks = nice_ticks(0.0, y_max if y_max is not None else (top_value or 1.0))
        y_top = y_ticks[-1]

        def y_of(v: float) -> float:
            return plot_bottom - max(0.0, v) / y_top * (plot_bottom - top)

    out += _y_axis(y_ticks, y_of, left, width - right, y_format, y_label, top, plot_bottom)
    out.append(
        f'<line x1="{_f(left)}" y1="{_f(plot_bottom)}" x2="{_f(width - right)}" '
        f'y2="{_f(plot_bottom)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    inner = min(slot * (0.72 if n > 1 or stacked else 0.5), MAX_BAR_W * len(series))
    bar_w = inner if stacked else inner / len(series)
    if stacked:
        inner = bar_w = min(inner, MAX_BAR_W * 1.5)
    # category labels, thinned so they never collide
    every = max(1, math.ceil((FONT + 3) / slot)) if rotate else 1
    out.append('<g class="x-axis">')
    for i, c in enumerate(categories):
        if i % every:
            continue
        cx = left + slot * (i + 0.5)
        if rotate:
            label = c if len(c) <= 22 else c[:21] + "…"
            out.append(
                f'<text transform="translate({_f(cx + 4)} {_f(plot_bottom + 12)}) rotate(-45)" '
                f'text-anchor="end" fill="{MUTED}">{escape(label)}</text>'
            )
        else:
            out.append(
                f'<text x="{_f(cx)}" y="{_f(plot_bottom + 16)}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(c)}</text>'
            )
    out.append("</g>")
    out.append('<g class="bars">')
    for i, c in enumerate(categories):
        x0 = left + slot * i + (slot - inner) / 2
        below = 0.0
        for k, (s, v) in enumerate(zip(series, vals, strict=True)):
            val = float(v[i])
            if stacked:
                y0, y1 = y_of(below + val), y_of(below)
                bx = x0
                below += val
            else:
                y0, y1 = y_of(val), y_of(0.0)
                bx = x0 + k * bar_w
            h = max(0.0, y1 - y0)
            tip = escape(f"{c} · {s.name}: {fmt_v(val)}" if show_legend else f"{c}: {fmt_v(val)}")
            bw = max(bar_w - (0 if stacked else 1), 0.5)
            out.append(
                f'<rect x="{_f(bx)}" y="{_f(y0)}" width="{_f(bw)}" '
                f'height="{_f(h)}" fill="{s.color}"><title>{tip}</title></rect>'
            )
            if value_labels and not stacked and (val != 0 or len(series) == 1):
                out.append(
                    f'<text x="{_f(bx + bar_w / 2)}" y="{_f(y0 - 4)}" text-anchor="middle" '
                    f'fill="{TEXT}">{escape(fmt_v(val))}</text>'
                )
        if value_labels and stacked:
            # above the stack, and above any band drawn across it
            over = [float(bh[i]) for _, bv, _, bh in bnds if math.isfinite(float(bv[i]))]
            ly = min([y_of(below), *(y_of(h) for h in over)])
            out.append(
                f'<text x="{_f(x0 + inner / 2)}" y="{_f(ly - 4)}" '
                f'text-anchor="middle" fill="{TEXT}">{escape(fmt_v(below))}</text>'
            )
    out.append("</g>")
    if marks:
        out.append('<g class="markers">')
        for s, mv in marks:
            for i, c in enumerate(categories):
                val = float(mv[i])
                if not math.isfinite(val):
                    continue
                x0 = left + slot * (i + 0.5) - inner / 2 - 6
                y = y_of(val)
                tip = escape(f"{c} · {s.name}: {fmt_v(val)}")
                out.append(
                    f'<line x1="{_f(x0)}" y1="{_f(y)}" x2="{_f(x0 + inner + 12)}" y2="{_f(y)}" '
                    f'stroke="{s.color}" stroke-width="3" stroke-dasharray="6 4">'
                    f"<title>{tip}</title></line>"
                    f'<text x="{_f(x0 + inner + 16)}" y="{_f(y + 4)}" fill="{s.color}">'
                    f"{escape(fmt_v(val))}</text>"
                )
        out.append("</g>")
    if bnds:
        out.append('<g class="bands">')
        for b, bv, bl, bh in bnds:
            for i, c in enumerate(categories):
                val, lo, hi = float(bv[i]), float(bl[i]), float(bh[i])
                if not math.isfinite(val):
                    continue
                cx = left + slot * (i + 0.5)
                half = min(inner / 2 + 8, slot / 2 - 1)
                y, ylo, yhi = y_of(val), y_of(lo), y_of(hi)
                tip = escape(f"{c} · {b.name}: {fmt_v(val)} ({fmt_v(lo)} – {fmt_v(hi)})")
                out.append(
                    f'<g class="band"><title>{tip}</title>'
                    f'<rect x="{_f(cx - half)}" y="{_f(yhi)}" width="{_f(2 * half)}" '
                    f'height="{_f(max(ylo - yhi, 0.5))}" fill="{b.color}" fill-opacity="0.15" '
                    f'stroke="{b.color}" stroke-opacity="0.5"/>'
                    f'<line x1="{_f(cx)}" y1="{_f(yhi)}" x2="{_f(cx)}" y2="{_f(ylo)}" '
                    f'stroke="{b.color}" stroke-width="1.5"/>'
                    f'<line x1="{_f(cx - half)}" y1="{_f(y)}" x2="{_f(cx + half)}" '
                    f'y2="{_f(y)}" stroke="{b.color}" stroke-width="2.5"/></g>'
                )
        out.append("</g>")
    if show_legend:
        items, _ = _legend(legend_series, left, legend_y, plot_w)
        out += items
    out.append("</svg>")
    return "".join(out)
