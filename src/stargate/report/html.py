"""The HTML kit both reports are built from: escaping, number and duration formats, tables,
figures, sections, key-figure cards, the shared style sheet and the page skeleton.

A page made with it loads nothing: the CSS is inline (:data:`CSS`), charts are inline SVG from
:mod:`stargate.report.svg`, and there is no script. Every helper escapes the text it is given
and is a pure function of its arguments, so the same inputs render to the same bytes. The
simulation report (:mod:`stargate.report.sim_html`) and the planner's report
(:mod:`stargate.report.plan_html`) both import from here; neither copies it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_HOUR
from stargate.report import svg

_DAY_S = SECONDS_PER_DAY

#: The two runs (or plans) of a comparison: greys, so they are never mistaken for providers'
#: colours.
RUN_COLORS = ("#333333", "#8A8A8A")


# --------------------------------------------------------------------------- formatting


def esc(value: object) -> str:
    """``value`` as HTML text: ``&``, ``<``, ``>`` and both quotes escaped."""
    return escape(str(value), quote=True)


def dur(seconds: float | None) -> str:
    """Seconds in the unit a person would use: 42 s, 3.5 min, 2.1 h, 4.2 days."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    a = abs(seconds)
    sign = "−" if seconds < 0 else ""
    if a == 0:
        return "0 s"
    if a < 60:
        return f"{sign}{a:.3g} s"
    if a < SECONDS_PER_HOUR:
        return f"{sign}{a / 60:.3g} min"
    if a < _DAY_S:
        return f"{sign}{a / SECONDS_PER_HOUR:.3g} h"
    return f"{sign}{a / _DAY_S:,.1f} days"


def pct(share: float | None) -> str:
    """A share (0..1) as a percentage with as many digits as a small one needs."""
    if share is None or not math.isfinite(share):
        return "—"
    v = share * 100
    if v == 0:
        return "0%"
    if abs(v) >= 10:
        return f"{v:.1f}%"
    if abs(v) >= 0.01:
        return f"{v:.2f}%"
    if abs(v) >= 1e-6:
        return f"{v:.{1 - math.floor(math.log10(abs(v)))}f}%"  # two significant digits
    return "< 0.000001%"


def pp(delta: float) -> str:
    """A difference of two shares in percentage points, signed."""
    if delta == 0:
        return "±0"
    text = pct(abs(delta)).removesuffix("%") + " pp"
    return ("+" if delta > 0 else "−") + text


def plural(n: float | None, word: str) -> str:
    return f"{num(n)} {word}{'' if n == 1 else 's'}"


def usd(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    sign = "−" if v < 0 else ""
    return f"{sign}${abs(v):,.0f}" if abs(v) >= 100 else f"{sign}${abs(v):,.2f}"


def usd_compact(v: float) -> str:
    return ("−$" if v < 0 else "$") + svg.compact(abs(v))


def num(v: float | None, digits: int = 0) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    s = f"{v:,.{digits}f}"
    return s.replace("-", "−")


# --------------------------------------------------------------------------- HTML pieces


@dataclass(frozen=True)
class Col:
    """A table column: header, and whether it holds numbers (right-aligned)."""

    name: str
    numeric: bool = False


def table(cols: Sequence[Col], rows: Sequence[Sequence[object]], caption: str = "") -> str:
    num_cls = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_cls if c.numeric else ""}>{esc(c.name)}</th>' for c in cols
    )
    body = []
    for row in rows:
        cells = []
        for i, (c, v) in enumerate(zip(cols, row, strict=True)):
            tag = 'th scope="row"' if i == 0 and not c.numeric else "td"
            cls = ' class="num"' if c.numeric else ""
            end = tag.split()[0]
            cells.append(f"<{tag}{cls}>{esc(v)}</{end}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{esc(caption)}</figcaption></figure>"


def section(anchor: str, title: str, body: Sequence[str], intro: str = "") -> str:
    p = f"<p>{esc(intro)}</p>" if intro else ""
    return (
        f'<section id="{esc(anchor)}" aria-labelledby="{esc(anchor)}-h">'
        f'<h2 id="{esc(anchor)}-h">{esc(title)}</h2>{p}{"".join(body)}</section>'
    )


CSS = """
:root{--text:#1a1a1a;--muted:#555;--line:#d0d0d0;--band:#f4f6f8;--accent:#0072b2;
--bad:#a50f15;--good:#1b7837}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--text);background:#fff;font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.7rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-top:.6rem;border-top:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
p{margin:.4rem 0 .8rem;max-width:75ch}
.sub{color:var(--muted);margin:0 0 1rem}
a{color:var(--accent)}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;margin:.8rem 0;list-style:none}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0 1rem}
dl.run dt{color:var(--muted)}dl.run dd{margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11.5rem,1fr));gap:.6rem;
margin:.8rem 0}
.card{background:var(--band);border:1px solid var(--line);border-radius:6px;padding:.55rem .75rem}
.card .label{color:var(--muted);font-size:.82rem}
.card .value{font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.card .more{color:var(--muted);font-size:.8rem}
figure{margin:1rem 0 1.4rem}
figcaption{color:var(--muted);font-size:.88rem;margin-top:.3rem;max-width:95ch}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
.table-wrap{overflow-x:auto;margin:.6rem 0 1rem}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);padding:0 0 .3rem}
th,td{padding:.3rem .7rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
thead th{border-bottom:2px solid #999;background:var(--band)}
tbody th{font-weight:500}
.num{text-align:right}
.ok{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
.note{color:var(--muted);font-size:.9rem}
details summary{cursor:pointer;color:var(--accent)}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);
padding-top:.6rem}
@media (max-width:600px){body{font-size:14px}dl.run{grid-template-columns:1fr}
dl.run dt{margin-top:.3rem}}
@media print{main{max-width:none;padding:0}nav{display:none}h2{break-after:avoid}
figure,table,.card{break-inside:avoid}a{color:inherit}}
"""


def card(label: str, value: str, more: str = "") -> str:
    m = f'<div class="more">{esc(more)}</div>' if more else ""
    return (
        f'<div class="card"><div class="label">{esc(label)}</div>'
        f'<div class="value">{esc(value)}</div>{m}</div>'
    )


def page(
    kind: str,
    name: str,
    header: str,
    sections: Sequence[tuple[str, str, str]],
    footer: str,
    css: str = "",
) -> str:
    """The whole document: ``<title>`` "Stargate {kind} report: {name}", the style sheet
    (:data:`CSS`, then ``css``: a report's own rules),
    ``header`` (HTML), a navigation list of ``sections`` — (anchor, title, HTML) each, in
    order — the sections themselves, and ``footer`` (HTML, as given)."""
    nav = "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t, _ in sections)
    return "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Stargate {esc(kind)} report: {esc(name)}</title>",
            f"<style>{CSS}{css}</style></head><body><main>",
            header,
            f'<nav aria-label="Sections"><ol>{nav}</ol></nav>',
            *(html for _, _, html in sections),
            f"<footer>{footer}</footer>",
            "</main></body></html>\n",
        ]
    )
