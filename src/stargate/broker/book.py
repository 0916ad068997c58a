"""The capacity book: what each provider can still offer for a term (from its capacity model
or, without one, from its pools) and what the lab holds; and the price of capacity for a term
(:func:`capacity_price`, the one price rule on the reserved tier). Re-exported by
:mod:`stargate.broker.capacity`, the interface of procurement."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stargate.domain.capacity import delivery_site, flow_between, period_of
from stargate.domain.costs import HourlyCost, hourly_cost
from stargate.domain.model import CapacityRow, Pool, Provider, Reservation, Scenario, Term


@dataclass(frozen=True, slots=True)
class Source:
    """Where a provider's capacity of one type at one site comes from: capacity model rows
    (``rows``, by their position in the provider's model) or pools (``pools``)."""

    provider: str
    site: str
    accelerator: str
    rows: tuple[int, ...]
    pools: tuple[Pool, ...]
    online: tuple[date, ...]  # each pool's first day online (its phase's, if later)
    counts: tuple[int, ...]  # each pool's accelerators


class CapacityBook:
    """What each provider can still offer and what the lab holds.

    A provider with a capacity model offers, for a term starting on day d, each row's flow of
    the calendar period containing d (with ``carry_over``: all it offered since the row's
    start) less what was sold from that row; one without a capacity model offers its pools of
    the type online by the term's start (``status: planned`` ones excluded) less what is
    reserved there for days of the term. Starting reservations of the scenario are held from
    the start (they were sold before the horizon: they take nothing from a capacity model's
    flow, and they do take pool stock).

    Capacity is by site: a capacity model row is delivered at its ``site`` (else the
    provider's first site with pools of the type, else its first site); ``site=`` narrows
    :meth:`offerable` to one site, and a reservation takes from its own site's rows."""

    def __init__(self, scenario: Scenario, *, starting: bool = True) -> None:
        self.scenario = scenario
        self.reservations: list[Reservation] = []
        self._sold: dict[tuple[str, int, date], int] = {}
        self._rows: dict[str, list[CapacityRow]] = {
            p.id: list(p.capacity_model) for p in scenario.providers
        }
        self._providers = {p.id: p for p in scenario.providers}
        self.sites_by_id = {site.id: site for site in scenario.sites}
        self.accelerators_by_id = {a.id: a for a in scenario.accelerators}
        self._held: dict[tuple[str, str], list[Reservation]] = {}
        self._held_at: dict[tuple[str, str, str | None], list[Reservation]] = {}
        self._by_type: dict[tuple[str, str], list[Source]] = {}
        self._by_site: dict[tuple[str, str, str], Source] = {}
        self._row_site: dict[tuple[str, int], str | None] = {}
        self._sources: list[Source] | None = None
        #: Per-book caches for the decisions (static facts of the scenario).
        self.cache: dict[Any, Any] = {}
        if starting:
            for r in scenario.reservations:
                self._hold(r)

    # -- where capacity comes from ---------------------------------------------------------
    def provider(self, provider_id: str) -> Provider:
        return self._providers[provider_id]

    def offer_price(
        self, provider_id: str, site_id: str, accelerator: str, day: date
    ) -> Decimal | None:
        """The price of the provider's capacity model row for a type at a site in force on
        ``day`` (the first with a price), as :func:`capacity_price` reads it."""
        return _offer_price(
            self._providers[provider_id],
            accelerator,
            site_id,
            day,
            lambda i: self.row_site(provider_id, i),
        )

    def row_site(self, provider_id: str, index: int) -> str | None:
        """The site a capacity model row delivers at (None: the provider has no site)."""
        key = (provider_id, index)
        if key not in self._row_site:
            provider = self._providers[provider_id]
            row = self._rows[provider_id][index]
            try:
                site: str | None = delivery_site(
                    self.scenario, provider, row.accelerator, row.site
                ).id
            except KeyError:
                site = None
            self._row_site[key] = site
        return self._row_site[key]

    def sources(self) -> list[Source]:
        """Every (provider, site, type) with capacity: rows of a capacity model, or (for a
        provider without one) pools that are not ``planned``; in (provider, site, type) order."""
        if self._sources is None:
            out: dict[tuple[str, str, str], tuple[list[int], list[Pool], list[date]]] = {}
            for p in self.scenario.providers:
                if p.capacity_model:
                    for i, row in enumerate(p.capacity_model):
                        site = self.row_site(p.id, i)
                        if site is not None:
                            out.setdefault((p.id, site, row.accelerator), ([], [], []))[0].append(i)
                    continue
                for s in self.scenario.sites:
                    if s.provider != p.id:
                        continue
                    for pool in s.pools:
                        if pool.status == "planned":
                            continue
                        gone = s.phase(pool.phase) if pool.phase is not None else None
                        if gone is not None and gone.never_online():
                            continue  # its phase was cancelled before it came online
                        entry = out.setdefault((p.id, s.id, pool.accelerator), ([], [], []))
                        entry[1].append(pool)
                        day = pool.available_from
                        if pool.phase is not None:
                            ph = s.phase(pool.phase)
                            if ph is not None and ph.online > day:
                                day = ph.online
                        entry[2].append(day)
            self._sources = [
                Source(
                    k[0],
                    k[1],
                    k[2],
                    tuple(v[0]),
                    tuple(v[1]),
                    tuple(v[2]),
                    tuple(p.count for p in v[1]),
                )
                for k, v in sorted(out.items())
            ]
            for src in self._sources:
                self._by_type.setdefault((src.provider, src.accelerator), []).append(src)
                self._by_site[(src.provider, src.accelerator, src.site)] = src
        return self._sources

    # -- what is left ----------------------------------------------------------------------
    def _row_key(self, provider_id: str, index: int, day: date) -> tuple[str, int, date]:
        row = self._rows[provider_id][index]
        start = row.start if row.carry_over else period_of(day, row.per)[0]
        return provider_id, index, start

    def _row_left(self, provider_id: str, index: int, day: date) -> int:
        row = self._rows[provider_id][index]
        if not (row.start <= day and (row.end is None or day <= row.end)):
            return 0
        key = self._row_key(provider_id, index, day)
        if row.carry_over:
            offered = flow_between(row, row.start, period_of(day, row.per)[1])
        else:
            p0, p1 = period_of(day, row.per)
            offered = flow_between(row, p0, p1)
        return max(0, math.floor(offered + 1e-9) - self._sold.get(key, 0))

    def _row_indexes(self, provider_id: str, accelerator: str, site: str | None) -> list[int]:
        return [
            i
            for i, row in enumerate(self._rows[provider_id])
            if row.accelerator == accelerator
            and (site is None or self.row_site(provider_id, i) == site)
        ]

    def offerable(
        self,
        provider_id: str,
        accelerator: str,
        term: Term,
        *,
        site: str | None = None,
        online_by: date | None = None,
    ) -> int:
        """Accelerators of a type a provider can still offer for a term (at one ``site``, or
        at any). ``online_by``: count only capacity online by that day (a capacity model row
        that started by then, a pool online by then) — a request's deadline."""
        provider = self._providers[provider_id]
        day = term.start
        if provider.capacity_model:
            total = 0
            for i in self._row_indexes(provider_id, accelerator, site):
                if online_by is not None and self._rows[provider_id][i].start > online_by:
                    continue
                total += self._row_left(provider_id, i, day)
            return total
        by = day if online_by is None else min(day, online_by)
        stock = 0
        if self._sources is None:
            self.sources()
        if site is None:
            srcs: Iterable[Source] = self._by_type.get((provider_id, accelerator), ())
        else:
            one = self._by_site.get((provider_id, accelerator, site))
            srcs = () if one is None else (one,)
        for src in srcs:
            for count, on in zip(src.counts, src.online, strict=True):
                if on <= by:
                    stock += count
        if stock == 0:
            return 0
        held_list = (
            self._held.get((provider_id, accelerator), ())
            if site is None
            else self._held_at.get((provider_id, accelerator, site), ())
        )
        start, end = term.start, term.end
        held = 0
        for r in held_list:
            if r.term.start <= end and start <= r.term.end:
                held += r.accelerators
        return max(0, stock - held)

    def _site_of(self, r: Reservation) -> str | None:
        if r.site is not None:
            return r.site
        key = ("site-of", r.provider, r.accelerator)
        if key not in self.cache:
            try:
                self.cache[key] = delivery_site(
                    self.scenario, self._providers[r.provider], r.accelerator, None
                ).id
            except KeyError:
                self.cache[key] = None
        site: str | None = self.cache[key]
        return site

    # -- holding ---------------------------------------------------------------------------
    def _hold(self, reservation: Reservation) -> None:
        self.reservations.append(reservation)
        self._held.setdefault((reservation.provider, reservation.accelerator), []).append(
            reservation
        )
        key = (reservation.provider, reservation.accelerator, self._site_of(reservation))
        self._held_at.setdefault(key, []).append(reservation)

    def reserve(self, reservation: Reservation) -> None:
        """Hold a reservation, taking it from the provider's offer (the capacity model rows of
        its site, in order, for the period of its term's start)."""
        pid = reservation.provider
        left = reservation.accelerators
        day = reservation.term.start
        if self._providers[pid].capacity_model:
            for i in self._row_indexes(pid, reservation.accelerator, self._site_of(reservation)):
                if left <= 0:
                    break
                take = min(left, self._row_left(pid, i, day))
                if take:
                    key = self._row_key(pid, i, day)
                    self._sold[key] = self._sold.get(key, 0) + take
                    left -= take
        self._hold(reservation)

    def snapshot(self) -> tuple[Any, ...]:
        """What the book holds now, for :meth:`restore` (a decision tried and then undone:
        the multi-party service decides a request once to learn what to offer the holder,
        then undoes it until the holder answers)."""
        return (
            list(self.reservations),
            dict(self._sold),
            {k: list(v) for k, v in self._held.items()},
            {k: list(v) for k, v in self._held_at.items()},
        )

    def restore(self, snap: tuple[Any, ...]) -> None:
        """Put the book back as :meth:`snapshot` found it."""
        reservations, sold, held, held_at = snap
        self.reservations = list(reservations)
        self._sold = dict(sold)
        self._held = {k: list(v) for k, v in held.items()}
        self._held_at = {k: list(v) for k, v in held_at.items()}

    def sold(self) -> dict[tuple[str, int, date], int]:
        """What reservations took from capacity model rows so far: (provider, row index, first
        day of the row's account — its calendar period, or its start with ``carry_over``) →
        accelerators. A copy: the planner reads it to take the same sales off its flows."""
        return dict(self._sold)

    def held(self, day: date, provider: str | None = None) -> list[Reservation]:
        """Reservations in force on ``day`` (of one provider, or all)."""
        return [
            r
            for r in self.reservations
            if r.term.contains(day) and (provider is None or r.provider == provider)
        ]


# --------------------------------------------------------------------------- prices


def _offer_price(
    provider: Provider,
    accelerator: str,
    site_id: str,
    day: date,
    site_of_row: Callable[[int], str | None],
) -> Decimal | None:
    for i, row in enumerate(provider.capacity_model):
        if (
            row.accelerator == accelerator
            and row.price_usd_per_accelerator_hour is not None
            and row.start <= day
            and (row.end is None or day <= row.end)
            and site_of_row(i) == site_id
        ):
            return row.price_usd_per_accelerator_hour
    return None


def capacity_price(
    scenario: Scenario,
    requester: str | None,
    provider: Provider,
    site_id: str,
    accelerator: str,
    day: date,
) -> HourlyCost | None:
    """What ``requester`` pays per accelerator-hour for capacity of a type at a site held for
    a term from ``day``: the one price rule (:func:`~stargate.domain.costs.hourly_cost`) on
    tier ``reserved``, with the price of the provider's capacity model row in force on ``day``
    at that site (the first with a price) standing in for the list price. The simulator and
    the planner call this too, so every engine prices a capacity request the same."""

    def site_of_row(index: int) -> str | None:
        row = provider.capacity_model[index]
        try:
            return delivery_site(scenario, provider, row.accelerator, row.site).id
        except KeyError:
            return None

    offer = _offer_price(provider, accelerator, site_id, day, site_of_row)
    return hourly_cost(
        scenario,
        provider,
        scenario.site(site_id),
        scenario.accelerator(accelerator),
        "reserved",
        requester=requester,
        offer_price=offer,
    )


__all__ = ["CapacityBook", "Source", "capacity_price"]
