"""Markdown renderings of the fidelity check, for the docs that must stay true to the engine.

* :func:`render_markdown` — the facts table (``stargate facts --markdown``): checked figures,
  then fitted ones, each beside the model's value;
* :func:`render_assumptions` — every ``source`` of a scenario that says it is an assumption,
  grouped by the scenario's section;
* :func:`render_history`, :func:`render_procurement` — what a scenario run held and paid by
  year and provider, and what became of each dated capacity request;
* :func:`render_metrics` — the metric vocabulary (:data:`~stargate.facts.metrics.METRICS`);
* :func:`replace_block` — put a rendering between ``<!-- NAME:begin -->`` and
  ``<!-- NAME:end -->`` in a document (what ``tools/default_scenario_doc.py`` and the docs
  tests use to keep docs/default-scenario.md generated).

Values are formatted to a few significant figures, so a table reads as a person would write
it and does not change with the last bits of a float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stargate.domain.figures import format_usd
from stargate.domain.model import Scenario
from stargate.facts.check import Fact, Facts
from stargate.facts.metrics import METRICS
from stargate.sim.result import SimSummary

# ----------------------------------------------------------------------------- values


def format_number(v: float, unit: str) -> str:
    """A figure's number as the tables print it: USD as $…B/M, counts from a million as
    …M/B/T to three significant figures, smaller ones to four."""
    if unit.upper().startswith("USD"):
        return format_usd(v)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def format_model(f: Fact) -> str:
    """The model's value (``—`` when the model has none)."""
    if f.model is None:
        return "—"
    if isinstance(f.model, date):
        return f.model.isoformat()
    return format_number(f.model, f.figure.unit)


def format_public(f: Fact) -> str:
    """The public value: a number, an ISO date, or a lower bound as ``≥N``."""
    v = f.public_json()
    if isinstance(v, float):
        return format_number(v, f.figure.unit)
    if isinstance(v, str) and v.startswith(">="):
        return "≥" + format_number(float(v[2:]), f.figure.unit)
    return str(v)


def format_ratio(f: Fact) -> str:
    return "—" if f.ratio is None else f"{f.ratio:.2f}"


def verdict(f: Fact) -> str:
    """``within``, ``OUTSIDE`` or ``unknown``, with ``(soft)`` for a low-confidence figure."""
    word = "unknown" if f.model is None else "within" if f.within else "OUTSIDE"
    return f"{word} (soft)" if f.soft else word


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


# ----------------------------------------------------------------------------- facts table


USES = (
    ("checked", "Checked: not used in calibration (evidence that the model reproduces the record)"),
    ("fitted", "Fitted: an input was calibrated to the figure (shows the calibration holds)"),
)


def render_markdown(result: Facts) -> str:
    """The check as Markdown: a count line, then a table of checked and a table of fitted
    figures (id, metric, subject, period, public, model, ratio, verdict, kind, confidence and
    the figure's notes; with ``without``, also the model with every term kept)."""
    off = ", ".join(result.without)
    lines = [
        f"`stargate facts` on `{result.scenario_id}`"
        + (f" without `{off}`" if off else "")
        + f": **{result.n_within} within, {result.n_outside} outside**, {result.n_soft} "
        "low-confidence (reported, never failing `--check`).",
    ]
    if not result.facts:
        lines.append("")
        lines.append("The scenario has no checkable figures (none with a `metric`).")
    cols = [
        "figure",
        "metric",
        "subject",
        "period",
        "public",
        "model",
        "ratio",
        "verdict",
        "kind",
        "confidence",
        "how",
    ]
    if result.baseline is not None:
        cols.insert(6, "with all terms")
    right = {"public", "model", "ratio", "with all terms"}
    for use, title in USES:
        rows = [f for f in result.facts if f.figure.use == use]
        if not rows:
            continue
        lines += ["", f"**{title}** ({len(rows)})", ""]
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join("---:" if c in right else "---" for c in cols) + "|")
        for f in rows:
            cells = [
                f"`{f.figure.id}`",
                f"`{f.figure.metric}`",
                f"`{f.figure.subject}`",
                f.figure.period or "",
                format_public(f),
                format_model(f),
                format_ratio(f),
                verdict(f) + (f": {f.reason}" if f.reason else ""),
                f.kind,
                f.figure.confidence,
                f.figure.notes or "",
            ]
            if result.baseline is not None:
                base = result.baseline_of(f.figure.id)
                cells.insert(6, "—" if base is None else format_model(base))
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- the run


def render_history(summary: SimSummary) -> str:
    """What a scenario run held and paid at each year end, by provider: facility GW held on
    31 December (and accelerators), and committed spend in the year ($B)."""
    held: dict[int, dict[str, tuple[float, int]]] = {}
    for h in summary.capacity_held or []:
        day = date.fromisoformat(h.period_end)
        if (day.month, day.day) == (12, 31):
            held.setdefault(day.year, {})[h.provider] = (h.power_mw / 1000.0, h.accelerators)
    spend: dict[int, dict[str, Decimal]] = {}
    for row in summary.spend_by_year or []:
        by = spend.setdefault(row.year, {})
        by[row.provider] = by.get(row.provider, Decimal(0)) + Decimal(row.committed_usd)
    providers: list[str] = []
    for names in [*(list(v) for v in held.values()), *(list(v) for v in spend.values())]:
        providers += [p for p in names if p not in providers]
    years = sorted(set(held) | set(spend))
    lines = [
        "Facility GW held on 31 December, by provider:",
        "",
        "| year | " + " | ".join(providers) + " | GW held | accelerators |",
        "|" + "---:|" * (len(providers) + 3),
    ]
    for y in years:
        at = held.get(y, {})
        cells = [str(y), *(f"{at[p][0]:.2f}" if p in at else "—" for p in providers)]
        cells += [f"**{sum(v[0] for v in at.values()):.2f}**"]
        cells += [f"{sum(v[1] for v in at.values()):,}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Committed spend in the year ($B: take-or-pay reservations, own capacity at cost):",
        "",
        "| year | " + " | ".join(providers) + " | spend |",
        "|" + "---:|" * (len(providers) + 2),
    ]
    for y in years:
        sp = spend.get(y, {})
        cells = [str(y), *(f"{float(sp[p]) / 1e9:.1f}" if p in sp else "—" for p in providers)]
        cells.append(f"**{float(sum(sp.values(), Decimal(0))) / 1e9:.1f}**")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_procurement(summary: SimSummary) -> str:
    """Each dated capacity request of a scenario run: where it was placed, the ROFR's
    outcome and the clause (or objective) that decided it."""
    cols = ["date", "request", "provider", "site", "accelerators", "type", "term", "$/h"]
    cols += ["ROFR", "decided by"]
    lines = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---:" if c in ("accelerators", "$/h") else "---" for c in cols) + "|",
    ]
    for r in summary.procurement or []:
        cells = [
            r.date,
            f"`{r.request}`",
            r.provider or "—",
            r.site or "—",
            f"{r.accelerators:,}",
            r.accelerator or "—",
            f"{r.term_start}..{r.term_end}",
            "—"
            if r.price_usd_per_accelerator_hour is None
            else f"{Decimal(r.price_usd_per_accelerator_hour):.2f}",
            r.rofr.replace("_", " ") + ("" if r.placed else " (not placed)"),
            f"`{r.decided_by}`" if r.decided_by else "—",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- assumptions


@dataclass(frozen=True, slots=True)
class Assumption:
    """A ``source`` of the scenario that says it is (or includes) an assumption."""

    section: str  # the scenario's top-level section: "providers", "sites", ...
    where: str  # e.g. "azure › capacity_model › gb200 at azure-us from 2025-01-01"
    text: str  # the assumption itself: the source from the word "assumption" on
    source: str  # the whole source


SECTION_TITLES = {
    "parties": "Parties",
    "accelerators": "Accelerators (specifications, prices, throughput)",
    "providers": "Providers (prices and capacity models)",
    "provider_groups": "Provider groups",
    "sites": "Sites (power, phases, dates, costs)",
    "contracts": "Contracts and agreements",
    "supply_agreements": "Supply agreements",
    "reservations": "Starting reservations",
    "capacity_requests": "Dated capacity requests",
    "workload_sources": "Demand forecast (openai-demand.csv)",
    "revenue": "Revenue",
    "usage": "Usage",
    "budget": "Budget",
    "figures": "Figures",
    "settings": "Settings",
}

_LABEL_KEYS = (
    "stream",
    "workload_class",
    "accelerator",
    "party",
    "site",
    "year",
    "start",
    "date",
)
_ASSUMPTION = re.compile(r"\bassumptions?\b", re.IGNORECASE)


def _label(item: dict[str, Any], key: str, index: int) -> str:
    if isinstance(item.get("id"), str):
        return str(item["id"])
    parts = [str(item[k]) for k in _LABEL_KEYS if item.get(k) not in (None, "")]
    return " ".join(parts) if parts else f"{key} {index + 1}"


def _walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        src = node.get("source")
        if isinstance(src, str) and _ASSUMPTION.search(src):
            yield path, src
        for key, value in node.items():
            if key == "source":
                continue
            if isinstance(value, dict):
                yield from _walk(value, (*path, key))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        yield from _walk(item, (*path, key, _label(item, key, i)))


def assumptions(scenario: Scenario) -> list[Assumption]:
    """Every ``source`` in the scenario that contains the word "assumption", in the
    scenario's order (sections, then items), with where it is and what it assumes."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    found = []
    for path, src in _walk(data, ()):
        m = _ASSUMPTION.search(src)
        assert m is not None
        text = src[m.start() :].strip()
        text = re.sub(r"^assumptions?\s*:?\s*", "", text, flags=re.IGNORECASE)
        if text.endswith(")") and text.count(")") > text.count("("):
            text = text[:-1].rstrip()  # "(an assumption: …)": the bracket closes the source's
        found.append(Assumption(path[0], " › ".join(_readable(path)), text, src))
    return found


def _readable(path: tuple[str, ...]) -> Iterable[str]:
    """The path without its section: item labels as they are, keys (at even places) with
    spaces, and the list keys that the labels make plain left out."""
    skip = {"clauses", "agreements", "phases", "pools", "forecast", "adds"}
    for i, part in enumerate(path[1:], start=1):
        if i % 2 == 0:  # a key of the item before
            if part not in skip:
                yield part.replace("_", " ")
        else:
            yield part


def _places(places: list[str]) -> str:
    """``a › b › c``, ``a › b › d`` → "`a › b › c`, `d`": later places without the part they
    share with the first."""
    first = places[0].split(" › ")
    out = [f"`{places[0]}`"]
    for p in places[1:]:
        parts = p.split(" › ")
        k = 0
        while k < min(len(parts), len(first)) - 1 and parts[k] == first[k]:
            k += 1
        out.append(f"`{' › '.join(parts[k:])}`")
    return ", ".join(out)


def render_assumptions(scenario: Scenario) -> str:
    """Every assumption of the scenario as Markdown lists, one per section; identical
    assumptions in one section are listed once with every place they are made."""
    groups: dict[str, dict[str, list[str]]] = {}
    for a in assumptions(scenario):
        groups.setdefault(a.section, {}).setdefault(a.text, []).append(a.where or a.section)
    lines = [f"{sum(len(v) for g in groups.values() for v in g.values())} assumptions."]
    for section, texts in groups.items():
        count = sum(len(v) for v in texts.values())
        lines += ["", f"**{SECTION_TITLES.get(section, section)}** ({count})", ""]
        for text, places in texts.items():
            lines.append(f"- {_places(places)}: {_cell(text)}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- metrics


def render_metrics() -> str:
    """The metric vocabulary as the Markdown table of docs/facts.md."""
    lines = [
        "| metric | kind | period rule | unit | computed as |",
        "|---|---|---|---|---|",
    ]
    for m in METRICS.values():
        cells = [f"`{m.name}`", m.kind, m.period_rule, m.unit, m.computed]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- documents


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def generated_block(text: str, name: str) -> str:
    """What a document holds between its ``NAME`` markers (ValueError when it has none)."""
    begin, end = _markers(name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no '{begin}' … '{end}' block")
    return text[i + len(begin) : j].strip("\n") + "\n"


def replace_block(text: str, name: str, body: str) -> str:
    """``text`` with what is between its ``NAME`` markers replaced by ``body``."""
    begin, end = _markers(name)
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        raise ValueError(f"no '{begin}' … '{end}' block")
    return text[: i + len(begin)] + "\n" + body.strip("\n") + "\n" + text[j:]


__all__ = [
    "Assumption",
    "assumptions",
    "format_model",
    "format_number",
    "format_public",
    "generated_block",
    "render_assumptions",
    "render_history",
    "render_markdown",
    "render_metrics",
    "render_procurement",
    "replace_block",
    "verdict",
]
