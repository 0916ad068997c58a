"""The SVG chart helpers: round ticks, short labels, escaped text, tooltips, fixed output."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from stargate.report import svg
from stargate.report.svg import Series


@given(
    st.floats(min_value=0, max_value=1e12, allow_nan=False),
    st.floats(min_value=1e-6, max_value=1e12, allow_nan=False),
)
@example(lo=373061599352.0, width=6.1e-05)  # a width below a float's step at that magnitude
@example(lo=1e12, width=1e-6)
@example(lo=0.0, width=1e-6)
def test_ticks_cover_the_range_in_round_steps(lo: float, width: float) -> None:
    hi = lo + width
    ticks = svg.nice_ticks(lo, hi)
    assert 2 <= len(ticks) <= 12
    steps = np.diff(ticks)
    slack = 1e-9 * steps[0] + 8 * float(np.spacing(ticks[-1]))  # ends may miss by a hair
    assert ticks[0] <= lo + slack
    assert ticks[-1] >= hi - slack
    # equal steps, up to the rounding of floats as large as the ticks
    assert np.allclose(steps, steps[0], rtol=1e-6, atol=8 * float(np.spacing(ticks[-1])))


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (0.25, "0.25"), (3, "3"), (42, "42"), (1234, "1.2k"), (5.6e6, "5.6M"), (2e9, "2B")],
)
def test_compact(value: float, text: str) -> None:
    assert svg.compact(value) == text


def test_line_chart_stacks_areas_and_explains_each_point() -> None:
    out = svg.line_chart(
        chart_id="c",
        title="Busy <hours>",
        desc="a & b",
        x=[0.0, 1.0, 2.0],
        areas=[Series("a<b", [1, 2, 3], "#000000"), Series("c", [1, 1, 1], "#111111")],
        lines=[Series("cap", [5, 5, 5], "#222222", dashed=True)],
        x_ticks=[(0.0, "day 0"), (2.0, "day 2")],
        x_hover=["d0", "d1", "d2"],
    )
    assert out.startswith("<svg")
    assert out.endswith("</svg>")
    assert '<title id="c-title">Busy &lt;hours&gt;</title>' in out
    assert '<desc id="c-desc">a &amp; b</desc>' in out
    assert "a<b" not in out
    assert "a&lt;b" in out
    assert out.count("<polygon") == 2
    assert out.count("<polyline") == 1
    assert "<title>d1\na&lt;b: 2\nc: 1\ncap: 5</title>" in out  # the hover band of x = 1
    assert 'stroke-dasharray="6 4"' in out


def test_bar_chart_grouped_stacked_and_log() -> None:
    cats = ["x", "y"]
    grouped = svg.bar_chart(
        chart_id="g",
        title="t",
        desc="d",
        categories=cats,
        series=[Series("s1", [1, 2], "#000000"), Series("s2", [3, 0], "#111111")],
        value_labels=True,
    )
    assert grouped.count("<rect") >= 4 + 1
    assert "<title>y · s1: 2</title>" in grouped
    stacked = svg.bar_chart(
        chart_id="s",
        title="t",
        desc="d",
        categories=cats,
        series=[Series("s1", [1, 2], "#000000"), Series("s2", [3, 0], "#111111")],
        stacked=True,
        value_labels=True,
    )
    assert ">4</text>" in stacked  # the stack's total above category x
    log = svg.bar_chart(
        chart_id="l",
        title="t",
        desc="d",
        categories=cats,
        series=[Series("n", [1, 5000], "#000000")],
        y_log=True,
    )
    labels = re.findall(r'text-anchor="end" fill="#555555">([^<]+)</text>', log)
    assert labels == ["1", "10", "100", "1k", "10k"]


def test_empty_charts_say_so() -> None:
    out = svg.line_chart(chart_id="e", title="t", desc="d", x=[], empty_message="nothing")
    assert "nothing" in out
    assert out.endswith("</svg>")
    bars = svg.bar_chart(chart_id="b", title="t", desc="d", categories=[], series=[])
    assert "no data" in bars


def test_series_must_match_the_axis() -> None:
    with pytest.raises(ValueError, match="expected 3"):
        svg.line_chart(
            chart_id="m", title="t", desc="d", x=[0, 1, 2], lines=[Series("s", [1, 2], "#000")]
        )


def test_bar_markers_draw_reference_levels() -> None:
    out = svg.bar_chart(
        chart_id="mk",
        title="t",
        desc="d",
        categories=["2025", "2026"],
        series=[Series("plan", [1.0, 2.0], "#000000")],
        markers=[Series("public <fig>", [float("nan"), 9.5], "#A50F15")],
    )
    marks = re.search(r'<g class="markers">(.*?)</g>', out, re.S)
    assert marks
    assert marks.group(1).count("<line") == 1  # none where the value is NaN
    assert "2026 · public &lt;fig&gt;: 9.5" in out
    assert ">10<" in out  # the axis reaches the marker above the bars
    assert "public &lt;fig&gt;</text>" in out  # in the legend
    with pytest.raises(ValueError, match="expected 2"):
        svg.bar_chart(
            chart_id="x", title="t", desc="d", categories=["a", "b"],
            series=[Series("s", [1, 2], "#000")], markers=[Series("m", [1], "#000")],
        )  # fmt: skip


def test_output_is_stable() -> None:
    def draw() -> str:
        return svg.bar_chart(
            chart_id="d",
            title="t",
            desc="d",
            categories=["a", "b", "c"],
            series=[Series("s", [0.1, 0.2, 0.3], "#000000")],
        )

    assert draw() == draw()
    assert "-0.0" not in draw()


def _luminance(color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("color", [*svg.PALETTE, svg.AXIS, svg.MUTED, svg.TEXT])
def test_colours_stand_out_against_white(color: str) -> None:
    """WCAG 1.4.11: graphics at least 3:1 against their background."""
    assert (1.05) / (_luminance(color) + 0.05) >= 3.0
