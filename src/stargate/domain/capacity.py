"""Capacity models as numbers: how many accelerators a provider can offer in a span of days.

A capacity model row offers ``accelerators`` per calendar ``per`` (month, quarter, year) from
``start`` to ``end``: a flow. The offer of a calendar period is the row's flow, pro rata for a
row that starts or ends inside the period. What is not sold in a period is gone at its end,
unless the row has ``carry_over``: then the offer of a period is everything offered since the
row's start, less what was sold (the seller's book, :mod:`stargate.broker.capacity`, keeps
what was sold).
"""

from __future__ import annotations

from datetime import date, timedelta

from stargate.domain.model import CapacityPer, CapacityRow, Provider, Scenario, Site


def period_of(day: date, per: CapacityPer) -> tuple[date, date]:
    """The calendar period (first day, last day) of ``per`` that contains ``day``."""
    if per == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if per == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
    else:
        start = date(day.year, day.month, 1)
    months = 3 if per == "quarter" else 1
    year, month = divmod(start.month - 1 + months, 12)
    end = date(start.year + year, month + 1, 1) - timedelta(days=1)
    return start, end


def flow_between(row: CapacityRow, start: date, end: date) -> float:
    """Accelerators a row offers over the days ``start``..``end`` (both included): its flow of
    each calendar period, pro rata for the days of the period inside both the span and the
    row's own dates."""
    lo = max(start, row.start)
    hi = end if row.end is None else min(end, row.end)
    total = 0.0
    day = lo
    while day <= hi:
        p0, p1 = period_of(day, row.per)
        seg_end = min(p1, hi)
        days_in_period = (p1 - p0).days + 1
        total += row.accelerators * ((seg_end - day).days + 1) / days_in_period
        day = seg_end + timedelta(days=1)
    return total


def rows_for(provider: Provider, accelerator: str, day: date) -> list[CapacityRow]:
    """A provider's capacity model rows for a type in force on ``day``."""
    return [
        r
        for r in provider.capacity_model
        if r.accelerator == accelerator and r.start <= day and (r.end is None or day <= r.end)
    ]


def offer_between(provider: Provider, accelerator: str, start: date, end: date) -> float:
    """Accelerators of a type a provider's capacity model offers over ``start``..``end``."""
    return sum(
        flow_between(r, start, end) for r in provider.capacity_model if r.accelerator == accelerator
    )


def delivery_site(
    scenario: Scenario, provider: Provider, accelerator: str, site: str | None
) -> Site:
    """Where capacity of a provider is delivered: the named site, else the provider's first
    site (in id order) with pools of the type, else its first site. A provider without sites
    has nowhere to deliver: KeyError."""
    if site is not None:
        return scenario.site(site)
    sites = sorted((s for s in scenario.sites if s.provider == provider.id), key=lambda s: s.id)
    if not sites:
        raise KeyError(f"provider '{provider.id}' has no site")
    for s in sites:
        if any(p.accelerator == accelerator for p in s.pools):
            return s
    return sites[0]
