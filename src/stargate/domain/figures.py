"""The scenario's public figures of annual compute cost: the one parser of figures with units,
in the domain so that the planner, the terminal, ``--json`` and the HTML report read them alike.

A figure counts when its unit is an amount of US dollars (``USD``, ``USD m``/``million``,
``USD bn``/``billion``, ``USD tn``/``trillion``, optionally followed by ``per year``) and either

* it is a checkable figure of metric ``compute_spend_usd`` about the lab (its ``subject`` is the
  lab's party id) over one whole year (``period: "2026"``), with a number as value; or
* it is a display-only figure whose id has ``compute-cost`` and ends in a year
  (``openai-compute-cost-2026``).

A figure in another unit (``GW``, ``MW``, ``kW per rack``) is never read as dollars.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from stargate.domain.model import Scenario, figure_period

#: Words after ``USD`` that scale the value.
_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "mm": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
_CURRENCY = ("usd", "us$", "$")


@dataclass(frozen=True, slots=True)
class PublicFigure:
    year: int
    usd: float
    id: str
    source: str


def usd_per_unit(unit: str) -> float | None:
    """How many US dollars one of ``unit`` is (``USD bn per year`` → 1e9), or None when the unit
    is not an amount of US dollars."""
    words = unit.lower().replace(",", " ").split()
    if not words or words[0] not in _CURRENCY:
        return None
    rest = words[1:]
    if rest and rest[0] in _SCALE:
        scale, rest = _SCALE[rest[0]], rest[1:]
    else:
        scale = 1.0
    if rest and rest not in (["per", "year"], ["a", "year"], ["/", "year"], ["per", "yr"]):
        return None  # USD per MW, USD per hour: a price, not an amount
    return scale


def public_compute_costs(scenario: Scenario) -> list[PublicFigure]:
    """The scenario's public annual compute-cost figures in US dollars, by year then id."""
    out: list[PublicFigure] = []
    lab = scenario.lab_id()
    for f in scenario.figures:
        if f.metric is not None:
            year = _one_year(f.period) if f.metric == "compute_spend_usd" else None
            if year is None or f.subject != lab:
                continue
        else:
            m = re.search(r"compute-cost.*?(\d{4})$", f.id)
            if m is None:
                continue
            year = int(m.group(1))
        scale = usd_per_unit(f.unit)
        if scale is None or not isinstance(f.value, Decimal):
            continue
        out.append(PublicFigure(year, float(f.value) * scale, f.id, str(f.source)))
    return sorted(out, key=lambda p: (p.year, p.id))


def _one_year(period: str | None) -> int | None:
    """The year a period of exactly one whole year is (``"2026"``, ``2026-01-01..2026-12-31``)."""
    if period is None:
        return None
    first, last = figure_period(period)
    if (first.month, first.day, last.month, last.day) == (1, 1, 12, 31) and first.year == last.year:
        return first.year
    return None


def format_usd(v: float) -> str:
    """A short amount of US dollars: ``$9.5B``, ``$1.2T``, ``$500M``, ``−$3k``, ``$12``."""
    if not math.isfinite(v):
        return "—"
    sign = "−$" if v < 0 else "$"
    a = abs(v)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            text = f"{a / div:.1f}"
            return sign + (text[:-2] if text.endswith(".0") else text) + suffix
    return sign + (f"{a:.0f}" if a >= 10 or a == 0 else f"{a:.2g}")


def public_compute_costs_by_year(scenario: Scenario) -> dict[str, float]:
    """The public annual compute-cost figures in USD keyed by year (``"2026"``), the first
    figure of a year when there are several: what a plan shows beside its own costs."""
    out: dict[str, float] = {}
    for f in public_compute_costs(scenario):
        out.setdefault(str(f.year), f.usd)
    return out
