"""What the lab holds, and the fleet its jobs run on.

The lab's capacity is its **reservations** (each for its term, at its price, paid whether used
or not) and its **own capacity** (the pools, not ``status: planned``, of providers of kind owned,
joint venture or colocation that it owns or operates, each from the day it is online, at its
price-rule cost). :class:`Held` is one of them; :func:`held_scenario` makes the scenario the
job-level broker sees, holding that and nothing else (docs/simulator.md#jobs-on-held-capacity);
:func:`committed_by_year` is what holding it costs (summary.json's ``spend_by_year``), and
:func:`capacity_held_rows` what it adds up to per provider (``capacity_held``).
The procurement replay that decides what the lab holds is :mod:`stargate.sim.procure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from stargate.domain.capacity import delivery_site
from stargate.domain.costs import facility_load_mw, hourly_cost, reference_throughput
from stargate.domain.model import (
    CloudPrice,
    Outage,
    Pool,
    ProviderKind,
    Reservation,
    Scenario,
    Site,
)
from stargate.domain.units import HOURS_PER_DAY

_OWN_KINDS = (ProviderKind.owned, ProviderKind.joint_venture, ProviderKind.colocation)
_CENT = Decimal("0.01")


def hours_between(a: date, b: date) -> int:
    """Hours of the days ``a``..``b`` (both included; 0 when ``b`` < ``a``)."""
    return max(0, (b - a).days + 1) * HOURS_PER_DAY


@dataclass(frozen=True, slots=True)
class Held:
    """Capacity the lab holds: a reservation (for its term) or a pool of its own (from the day
    it is online). ``price_usd_per_accelerator_hour`` is what an hour costs it: the
    reservation's price (else the price rule, tier ``reserved``) or the own pool's price-rule
    cost (its capital charge included); None when nothing prices it."""

    id: str
    kind: Literal["reservation", "own"]
    provider: str
    site: str
    accelerator: str
    accelerators: int
    start: date
    end: date | None
    price_usd_per_accelerator_hour: Decimal | None
    reference_per_accelerator: float
    facility_mw_per_accelerator: float
    per_node: int
    reservation: Reservation | None = None

    def on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def own_providers(scenario: Scenario, lab: str) -> set[str]:
    """Providers whose capacity is the lab's own: of kind owned, joint venture or colocation,
    owned or operated by the lab."""
    return {
        p.id
        for p in scenario.providers
        if p.kind in _OWN_KINDS and (p.owner == lab or p.operator == lab)
    }


def sellers(scenario: Scenario, lab: str) -> list[str]:
    """Providers the lab can buy capacity from: the cloud providers, and any other provider
    that is not its own but has a capacity model (sorted)."""
    own = own_providers(scenario, lab)
    return sorted(
        p.id
        for p in scenario.providers
        if p.id not in own and (p.kind == ProviderKind.cloud or p.capacity_model)
    )


def _per_node(scenario: Scenario, site_id: str, accelerator: str) -> int:
    site = scenario.site(site_id)
    return next((p.accelerators_per_node for p in site.pools if p.accelerator == accelerator), 8)


def own_capacity(scenario: Scenario, lab: str) -> list[Held]:
    """The lab's own pools (not ``status: planned``), each from the day it is online."""
    out: list[Held] = []
    own = own_providers(scenario, lab)
    for site in scenario.sites:
        if site.provider not in own:
            continue
        provider = scenario.provider(site.provider)
        for pool in site.pools:
            if pool.status == "planned":
                continue
            acc = scenario.accelerator(pool.accelerator)
            start = pool.available_from
            end = None
            if pool.phase is not None:
                ph = site.phase(pool.phase)
                if ph is not None and ph.online > start:
                    start = ph.online
                if ph is not None and ph.cancelled is not None:
                    if ph.cancelled <= start:
                        continue  # its phase was cancelled before it came online
                    end = ph.cancelled - timedelta(days=1)
            hc = hourly_cost(scenario, provider, site, acc, "reserved", requester=lab)
            out.append(
                Held(
                    id=pool.id,
                    kind="own",
                    provider=provider.id,
                    site=site.id,
                    accelerator=acc.id,
                    accelerators=pool.count,
                    start=start,
                    end=end,
                    price_usd_per_accelerator_hour=None if hc is None else hc.total_usd,
                    reference_per_accelerator=reference_throughput(scenario, acc),
                    facility_mw_per_accelerator=float(facility_load_mw(scenario, site, acc)),
                    per_node=pool.accelerators_per_node,
                )
            )
    return out


def held_reservation(scenario: Scenario, r: Reservation) -> Held | None:
    """A reservation as capacity held (None when its provider has no site to deliver it)."""
    provider = scenario.provider(r.provider)
    try:
        site = delivery_site(scenario, provider, r.accelerator, r.site)
    except KeyError:
        return None
    acc = scenario.accelerator(r.accelerator)
    price = r.price_usd_per_accelerator_hour
    if price is None:
        hc = hourly_cost(scenario, provider, site, acc, "reserved", requester=r.holder)
        price = None if hc is None else hc.total_usd
    return Held(
        id=r.id,
        kind="reservation",
        provider=provider.id,
        site=site.id,
        accelerator=acc.id,
        accelerators=r.accelerators,
        start=r.term.start,
        end=r.term.end,
        price_usd_per_accelerator_hour=price,
        reference_per_accelerator=reference_throughput(scenario, acc),
        facility_mw_per_accelerator=float(facility_load_mw(scenario, site, acc)),
        per_node=_per_node(scenario, site.id, acc.id),
        reservation=r,
    )


@dataclass(frozen=True, slots=True)
class CapacityHeldRow:
    """What the lab holds at a provider on a procurement period's last day."""

    period_end: date
    provider: str
    accelerators: int
    reference_accelerators: float
    power_mw: float
    #: the same by site of the provider: site → (accelerators, reference accelerators, MW)
    by_site: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def capacity_held_rows(held: Sequence[Held], days: Sequence[date]) -> list[CapacityHeldRow]:
    """Per day (a period's last) and provider, what the lab holds (providers with none left
    out)."""
    rows: list[CapacityHeldRow] = []
    for day in days:
        acc: dict[str, list[float]] = {}
        at: dict[tuple[str, str], list[float]] = {}
        for h in held:
            if h.on(day):
                for a in (
                    acc.setdefault(h.provider, [0.0, 0.0, 0.0]),
                    at.setdefault((h.provider, h.site), [0.0, 0.0, 0.0]),
                ):
                    a[0] += h.accelerators
                    a[1] += h.accelerators * h.reference_per_accelerator
                    a[2] += h.accelerators * h.facility_mw_per_accelerator
        for provider in sorted(acc):
            n, ref, mw = acc[provider]
            by_site = {
                site: (int(v[0]), v[1], v[2])
                for (p, site), v in sorted(at.items())
                if p == provider
            }
            rows.append(CapacityHeldRow(day, provider, int(n), ref, mw, by_site))
    return rows


# --------------------------------------------------------------------------- the job-level fleet


def held_scenario(
    scenario: Scenario, held: Sequence[Held], first: date, last: date
) -> tuple[Scenario, dict[str, date]]:
    """The scenario as jobs see it: its sites hold only what the lab holds over
    ``first``..``last``, so the broker routes jobs on that and nothing else.

    Each reservation is a pool of its own (id: the reservation's) on a copy of its site with
    the site's outages (those of pools of its type), reliability and PUE, priced at the
    reservation's price, from its term's start; its term's end is returned (pool id → last
    day held) for the simulator to end the pool there. Own pools stay on their sites as they
    are (phases, costs), without the ``planned`` ones. Pool ids are made unique where a
    reservation shares one with a pool."""
    by_site: dict[str, list[Held]] = {}
    ends: dict[str, date] = {}
    taken: set[str] = set()
    sites = []
    keep = [h for h in held if h.start <= last and (h.end is None or h.end >= first)]
    for h in sorted(keep, key=lambda h: (h.kind != "own", h.site, h.id)):
        if h.kind == "own":
            by_site.setdefault(h.site, []).append(h)
            taken.add(h.id)
    for site_id, items in sorted(by_site.items()):
        base = scenario.site(site_id)
        ids = {h.id for h in items}
        sites.append(base.model_copy(update={"pools": [p for p in base.pools if p.id in ids]}))
    reserved = [h for h in sorted(keep, key=lambda h: (h.start, h.id)) if h.kind == "reservation"]
    sites += _reservation_sites(scenario, reserved, taken, ends)
    update = {"sites": sites, "reservations": [], "capacity_requests": []}
    return scenario.model_copy(update=update), ends


def _reservation_sites(
    scenario: Scenario, reserved: Sequence[Held], taken: set[str], ends: dict[str, date]
) -> list[Site]:
    """Each reservation as a site copy with a pool of its own (:func:`_reservation_site`),
    its id made unique against ``taken`` (``ID-2``, …); ``ends`` gets each pool's last day."""
    out = []
    for h in reserved:
        pool_id = h.id
        n = 1
        while pool_id in taken:
            n += 1
            pool_id = f"{h.id}-{n}"
        taken.add(pool_id)
        out.append(_reservation_site(scenario, h, pool_id))
        if h.end is not None:
            ends[pool_id] = h.end
    return out


def _reservation_site(scenario: Scenario, h: Held, pool_id: str) -> Site:
    """A reservation as a pool of its own (``pool_id``) on a copy of its site, with the site's
    outages of pools of its type, its reliability and PUE, priced at the reservation's price,
    from its term's start."""
    base = scenario.site(h.site)
    types = {p.id: p.accelerator for p in base.pools}
    outages = [
        Outage.model_construct(start=o.start, end=o.end, pools=[pool_id], reason=o.reason)
        for o in base.outages
        if not o.pools or any(types.get(x) == h.accelerator for x in o.pools)
    ]
    prices = []
    if h.price_usd_per_accelerator_hour is not None:
        price = h.price_usd_per_accelerator_hour
        prices.append(
            CloudPrice.model_construct(
                accelerator=h.accelerator,
                on_demand_usd_per_accelerator_hour=price,
                reserved_usd_per_accelerator_hour=price,
                contract_prices=[],
                source=f"reservation '{h.id}'",
            )
        )
    pool = Pool.model_construct(
        id=pool_id,
        accelerator=h.accelerator,
        count=h.accelerators,
        available_from=h.start,
        phase=None,
        accelerators_per_node=h.per_node,
        status="operational",
        source=f"reservation '{h.id}'",
    )
    return base.model_copy(
        update={"pools": [pool], "phases": [], "prices": prices, "costs": None, "outages": outages}
    )


def with_held_at_poolless_sites(
    scenario: Scenario, held: Sequence[Held], day: date
) -> tuple[Scenario, dict[str, date]]:
    """The scenario as ``stargate place`` sees it for job requests: its listed pools as they
    are, plus each reservation the lab holds on ``day`` or later at a site that lists no pools
    (a cloud whose capacity is only a capacity model, such as Azure in a history) as a pool of
    its own (:func:`held_scenario`'s form), so that a job can be placed on capacity the lab
    holds there. Reservations at sites with pools are already among those pools. Returns the
    scenario and the reservation pools' last days."""
    ends: dict[str, date] = {}
    taken = {p.id for site in scenario.sites for p in site.pools}
    wanted = [
        h
        for h in sorted(held, key=lambda h: (h.start, h.id))
        if h.kind == "reservation"
        and (h.end is None or h.end >= day)
        and not scenario.site(h.site).pools
    ]
    extra = _reservation_sites(scenario, wanted, taken, ends)
    if not extra:
        return scenario, ends
    return scenario.model_copy(update={"sites": [*scenario.sites, *extra]}), ends


# --------------------------------------------------------------------------- money


def _usd(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def committed_by_year(
    held: Sequence[Held], first: date, last: date
) -> dict[tuple[int, str, str], Decimal]:
    """What the lab pays per (year, provider, site) over ``first``..``last`` for what it
    holds, used or not: accelerators × hours held × the hourly price (reservations
    take-or-pay, own capacity at its cost). Exact (Decimal), to the cent at the end."""
    out: dict[tuple[int, str, str], Decimal] = {}
    for h in held:
        price = h.price_usd_per_accelerator_hour
        if price is None:
            continue
        lo = max(h.start, first)
        hi = last if h.end is None else min(h.end, last)
        for year in range(lo.year, hi.year + 1):
            a = max(lo, date(year, 1, 1))
            b = min(hi, date(year, 12, 31))
            hours = hours_between(a, b)
            if hours:
                key = (year, h.provider, h.site)
                out[key] = out.get(key, Decimal(0)) + price * h.accelerators * hours
    return {k: _usd(v) for k, v in sorted(out.items())}


def usd_text(value: Decimal) -> str:
    """Money as summary.json writes it: a decimal string of US dollars to the cent."""
    return str(_usd(value))


__all__ = [
    "CapacityHeldRow",
    "Held",
    "capacity_held_rows",
    "committed_by_year",
    "held_reservation",
    "held_scenario",
    "hours_between",
    "own_capacity",
    "own_providers",
    "sellers",
    "usd_text",
    "with_held_at_poolless_sites",
]
