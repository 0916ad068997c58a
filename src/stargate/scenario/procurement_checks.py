"""Whole-scenario checks of what format 2 added: capacity models, reservations, dated capacity
requests, contract prices, leases, statuses and the reference class.

They run inside :class:`stargate.scenario.integrity._Checker` (which owns the namespaces, the
located ``add`` and ``ref`` and the "section broke already" logic), so they report in the same
way and on a partial scenario too. One function per part of the scenario; each says what it
refuses and why a reader of the scenario would be misled if it passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from stargate.domain.capacity import delivery_site
from stargate.domain.costs import hourly_cost
from stargate.domain.model import (
    Accelerator,
    CapacityRow,
    CloudPrice,
    Provider,
    RightOfFirstRefusal,
    Scenario,
    Site,
)
from stargate.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from stargate.scenario.integrity import _Checker


def _span(start: date, end: date | None) -> str:
    return f"{start.isoformat()}..{end.isoformat() if end else 'open'}"


# --------------------------------------------------------------------------- settings


def reference_class(c: _Checker) -> None:
    """``settings.reference_class`` names a workload class (it weighs every count and share
    "in reference accelerators")."""
    ref = c.s.settings.reference_class
    if ref is not None:
        c.ref("settings.reference_class", ref, c.ns.classes, "workload class")


# --------------------------------------------------------------------------- providers


def capacity_models(c: _Checker) -> None:
    """Each capacity model row names a known type and, if it names one, a site of its own
    provider; a provider's rows for one (type, delivery site) do not overlap in time (two rows
    in force on one day would offer the same capacity twice); a provider with a capacity model
    has a site to deliver it at."""
    sites_by_id = {s.id: s for s in c.s.sites}
    for i, prov in enumerate(c.s.providers):
        if not prov.capacity_model:
            continue
        base = f"providers[{i}].capacity_model"
        own_sites = sorted(s.id for s in c.s.sites if s.provider == prov.id)
        # Absence is only certain on a whole scenario: a site that failed validation may be it.
        if not own_sites and c.present is None:
            c.add(
                base,
                f"provider '{prov.id}' has a capacity model but no site to deliver it at",
                expected=f"a site whose provider is '{prov.id}'",
            )
        keyed: dict[tuple[str, str | None], list[tuple[int, CapacityRow]]] = {}
        for j, row in enumerate(prov.capacity_model):
            rpath = f"{base}[{j}]"
            c.ref(f"{rpath}.accelerator", row.accelerator, c.ns.accelerators, "accelerator")
            if row.site is not None:
                _own_site(c, f"{rpath}.site", row.site, prov.id, sites_by_id)
            keyed.setdefault((row.accelerator, _delivered_at(c.s, prov, row)), []).append((j, row))
        for (acc, site), rows in keyed.items():
            for k, (j, row) in enumerate(rows):
                for m, other in rows[:k]:
                    if row.span().overlaps(other.span()):
                        at = f" at site '{site}'" if site else ""
                        c.add(
                            f"{base}[{j}]",
                            f"capacity model rows {m} and {j} of provider '{prov.id}' for "
                            f"'{acc}'{at} overlap in time, so they would offer the same "
                            "capacity twice",
                            expected=f"periods apart: row {m} runs {_span(other.start, other.end)}",
                            found=f"row {j} runs {_span(row.start, row.end)}",
                            hint="end one row the day before the next starts, or merge them",
                        )
                        break


def _delivered_at(s: Scenario, prov: Provider, row: CapacityRow) -> str | None:
    """Where a row's capacity is delivered (its site, else the default delivery site)."""
    if row.site is not None:
        return row.site
    try:
        return delivery_site(s, prov, row.accelerator, None).id
    except KeyError:
        return None


def _own_site(
    c: _Checker, path: str, site_id: str, provider_id: str, sites: dict[str, Site]
) -> None:
    """``site_id`` is a known site, and one of ``provider_id``'s."""
    if site_id not in c.ns.sites:
        c.ref(path, site_id, c.ns.sites, "site")
        return
    site = sites.get(site_id)
    if site is not None and site.provider != provider_id:
        mine = sorted(s.id for s in sites.values() if s.provider == provider_id)
        c.add(
            path,
            f"site '{site_id}' is run by provider '{site.provider}', not by '{provider_id}'",
            expected=f"a site of '{provider_id}'" + (f": {', '.join(mine)}" if mine else ""),
            found=repr(site_id),
        )


def contract_prices(c: _Checker, path: str, rows: Sequence[CloudPrice]) -> None:
    """A contract price names a known party, once per price row."""
    for j, row in enumerate(rows):
        seen: dict[str, int] = {}
        for k, cp in enumerate(row.contract_prices):
            cpath = f"{path}[{j}].contract_prices[{k}]"
            c.ref(f"{cpath}.party", cp.party, c.ns.parties, "party")
            if cp.party in seen:
                c.add(
                    f"{cpath}.party",
                    f"two contract prices for party '{cp.party}' in one price row "
                    f"(first at {path}[{j}].contract_prices[{seen[cp.party]}])",
                    expected="one contract price per party and type",
                )
            else:
                seen[cp.party] = k


# --------------------------------------------------------------------------- sites


def site_parts(c: _Checker, i: int, site: Site) -> None:
    """A site's developer is a party; a lease has a developer to lease from; a pool is not
    stock on a phase that is only planned; ``install_only_listed_types`` has types to list;
    contract prices name parties."""
    base = f"sites[{i}]"
    if site.developer is not None:
        c.ref(f"{base}.developer", site.developer, c.ns.parties, "party")
    if site.lease is not None and site.developer is None:
        c.add(
            f"{base}.lease",
            f"site '{site.id}' is leased, but from whom: it names no 'developer'",
            expected=f"'developer': the party that built the site and leases it to "
            f"provider '{site.provider}'",
        )
    contract_prices(c, f"{base}.prices", site.prices)
    if site.install_only_listed_types and not site.pools:
        c.add(
            f"{base}.install_only_listed_types",
            f"site '{site.id}' may install only the types its pools name, but it has no pools",
            expected="pools that name the types the planner may install, or false",
        )
    for j, pool in enumerate(site.pools):
        if pool.phase is None or pool.status == "planned":
            continue
        phase = site.phase(pool.phase)
        if phase is not None and phase.status == "planned":
            c.add(
                f"{base}.pools[{j}].status",
                f"pool '{pool.id}' is '{pool.status}' but its phase '{phase.id}' is only "
                "planned: the accelerators cannot be stock before the power that runs them",
                expected="'status: planned' on the pool too, so that the planner may buy it "
                f"with the phase; or, if the phase is firm, a phase status such as "
                f"'{pool.status}'",
                found=repr(pool.status),
            )


# --------------------------------------------------------------------------- procurement


def _can_run(acc: Accelerator, classes: Sequence[str]) -> list[str]:
    """The classes of ``classes`` the type cannot run."""
    return [k for k in classes if acc.throughput_for(k) <= 0]


def reservations(c: _Checker) -> None:
    """A starting reservation names a holder party, a provider, one of that provider's sites, a
    known type that can run its classes, and known classes; it is priced (its own price, or the
    price rule's); its term reaches into the horizon (it is what the lab held on the
    horizon's first day)."""
    s = c.s
    sites = {x.id: x for x in s.sites}
    providers = {p.id: p for p in s.providers}
    accs = {a.id: a for a in s.accelerators}
    for i, res in enumerate(s.reservations):
        base = f"reservations[{i}]"
        c.ref(f"{base}.holder", res.holder, c.ns.parties, "party")
        c.ref(f"{base}.provider", res.provider, c.ns.providers, "provider")
        if res.site is not None and res.provider in c.ns.providers:
            _own_site(c, f"{base}.site", res.site, res.provider, sites)
        c.ref(f"{base}.accelerator", res.accelerator, c.ns.accelerators, "accelerator")
        for k, cls in enumerate(res.workload_classes):
            c.ref(f"{base}.workload_classes[{k}]", cls, c.ns.classes, "workload class")
        acc = accs.get(res.accelerator)
        if acc is not None:
            known = [k for k in res.workload_classes if k in c.ns.classes]
            for cls in _can_run(acc, known):
                c.add(
                    f"{base}.accelerator",
                    f"reservation '{res.id}' is of '{acc.id}', which cannot run class '{cls}'",
                    expected=f"a type with throughput > 0 for '{cls}'",
                    found=repr(acc.id),
                )
        if c.has("horizon") and res.term.end < s.horizon.start:
            c.add(
                f"{base}.term.end",
                f"reservation '{res.id}' ends before the horizon starts: it would never count",
                expected=f"on or after {s.horizon.start.isoformat()} (horizon.start); a "
                "reservation is what the lab held on the horizon's first day",
                found=res.term.end.isoformat(),
            )
        prov = providers.get(res.provider)
        if prov is None or acc is None or res.price_usd_per_accelerator_hour is not None:
            continue
        try:
            site = delivery_site(s, prov, acc.id, res.site if res.site in sites else None)
        except KeyError:
            if c.present is None:  # certain only on a whole scenario, as above
                c.add(
                    f"{base}.provider",
                    f"provider '{prov.id}' has no site to hold reservation '{res.id}' at",
                    expected=f"a site whose provider is '{prov.id}'",
                )
            continue
        if c.has("settings") and (
            hourly_cost(s, prov, site, acc, "reserved", requester=res.holder) is None
        ):
            c.add(
                f"{base}.price_usd_per_accelerator_hour",
                f"nothing prices reservation '{res.id}': site '{site.id}' of '{prov.id}' has no "
                f"price row and no cost basis for '{acc.id}'",
                expected="price_usd_per_accelerator_hour, or a price row for the type",
            )


def capacity_requests(c: _Checker) -> None:
    """A dated capacity request names a requester party, known classes, types that can run
    them, known providers and sites (a site of one of its providers, when it names
    providers); its date lies in the horizon, its term does not end before its date, its
    deadline is not before its date; counted in reference accelerators, its types do the work
    of the reference class."""
    s = c.s
    sites = {x.id: x for x in s.sites}
    accs = {a.id: a for a in s.accelerators}
    # On a partial scenario every class may have failed validation: then there is none.
    known_classes = c.has("settings", "workload_classes") and bool(s.workload_classes)
    ref_class = s.reference_class_id() if known_classes else None
    contracts = {con.id: con for con in s.contracts}
    agreement_of = {ag.id: con.id for con in s.contracts for ag in con.agreements}
    for i, req in enumerate(s.capacity_requests):
        base = f"capacity_requests[{i}]"
        c.ref(f"{base}.requester", req.requester, c.ns.parties, "party")
        if req.contract is not None and req.contract not in contracts and c.has("contracts"):
            c.add(
                f"{base}.contract",
                f"unknown contract '{req.contract}'",
                expected="the id of a contract defined in the scenario",
                found=repr(req.contract),
                hint=did_you_mean(req.contract, set(contracts)),
            )
        if req.agreement is not None and c.has("contracts"):
            owner = agreement_of.get(req.agreement)
            if owner is None:
                c.add(
                    f"{base}.agreement",
                    f"unknown agreement '{req.agreement}'",
                    expected="the id of an agreement of a contract in the scenario",
                    found=repr(req.agreement),
                    hint=did_you_mean(req.agreement, set(agreement_of)),
                )
            elif req.contract is not None and req.contract in contracts and owner != req.contract:
                c.add(
                    f"{base}.agreement",
                    f"agreement '{req.agreement}' belongs to contract '{owner}', not to the "
                    f"request's contract '{req.contract}'",
                    expected=f"an agreement of '{req.contract}'",
                    found=repr(req.agreement),
                )
        for k, cls in enumerate(req.workload_classes):
            c.ref(f"{base}.workload_classes[{k}]", cls, c.ns.classes, "workload class")
        for k, p in enumerate(req.providers):
            c.ref(f"{base}.providers[{k}]", p, c.ns.providers, "provider")
        for k, site_id in enumerate(req.sites):
            spath = f"{base}.sites[{k}]"
            if site_id not in c.ns.sites:
                c.ref(spath, site_id, c.ns.sites, "site")
                continue
            site = sites.get(site_id)
            if site is not None and req.providers and site.provider not in req.providers:
                c.add(
                    spath,
                    f"site '{site_id}' is run by provider '{site.provider}', which is not one "
                    "of the request's providers",
                    expected=f"a site of {', '.join(repr(p) for p in req.providers)}, or "
                    f"'{site.provider}' among 'providers'",
                    found=repr(site_id),
                )
        if req.accelerators is not None and isinstance(req.accelerators.types, list):
            known = [k for k in req.workload_classes if k in c.ns.classes]
            for k, t in enumerate(req.accelerators.types):
                tpath = f"{base}.accelerators.types[{k}]"
                c.ref(tpath, t, c.ns.accelerators, "accelerator")
                acc = accs.get(t)
                if acc is None:
                    continue
                if not any(acc.throughput_for(cls) > 0 for cls in known) and known:
                    c.add(
                        tpath,
                        f"type '{t}' can run none of the request's classes ({', '.join(known)})",
                        expected="a type with throughput > 0 for one of them",
                        found=repr(t),
                    )
                elif (
                    req.accelerators.unit == "reference"
                    and ref_class is not None
                    and acc.throughput_for(ref_class) <= 0
                ):
                    c.add(
                        tpath,
                        f"the request counts reference accelerators, but type '{t}' does no "
                        f"work of the reference class '{ref_class}'",
                        expected="types with throughput > 0 for the reference class, or "
                        "'unit: accelerators'",
                        found=repr(t),
                    )
        if c.has("horizon") and not s.horizon.contains(req.date):
            c.add(
                f"{base}.date",
                f"capacity request '{req.id}' is dated outside the scenario's horizon, so no "
                "engine would ever place it",
                expected=f"a date within {_span(s.horizon.start, s.horizon.end)}",
                found=req.date.isoformat(),
            )
        if req.term is not None and req.term.end < req.date:
            c.add(
                f"{base}.term.end",
                f"capacity request '{req.id}' ends before the day it is placed",
                expected=f"on or after its date, {req.date.isoformat()}",
                found=req.term.end.isoformat(),
            )
        if req.deadline is not None and req.deadline < req.date:
            c.add(
                f"{base}.deadline",
                f"capacity request '{req.id}' has a deadline before the day it is placed",
                expected=f"on or after its date, {req.date.isoformat()}",
                found=req.deadline.isoformat(),
            )


def procurement_ids(c: _Checker) -> None:
    """Reservation and capacity request ids are unique together: a placed request becomes a
    reservation, which engines name by the request's id."""
    seen: dict[str, str] = {}
    items = [(f"reservations[{i}]", r.id) for i, r in enumerate(c.s.reservations)]
    items += [(f"capacity_requests[{i}]", r.id) for i, r in enumerate(c.s.capacity_requests)]
    for path, item_id in items:
        if item_id in seen:
            c.add(
                f"{path}.id",
                f"duplicate id '{item_id}' (first defined at {seen[item_id]})",
                expected="ids unique among reservations and capacity requests together",
            )
        else:
            seen[item_id] = path


# --------------------------------------------------------------------------- advice


def warnings(s: Scenario) -> list[Problem]:
    """What is legal but probably not meant: a ROFR price cap that never applies because
    'price' is not among the clause's requirements."""
    out: list[Problem] = []
    for i, con in enumerate(s.contracts):
        for j, cl in enumerate(con.clauses):
            if not isinstance(cl, RightOfFirstRefusal) or "price" in cl.requirements:
                continue
            for cap in ("price_cap_usd_per_accelerator_hour", "price_cap_usd_per_reference_hour"):
                if getattr(cl, cap) is not None:
                    out.append(
                        Problem(
                            f"clause '{cl.id}' has a price cap, but 'price' is not among its "
                            "requirements, so the cap never releases a request",
                            path=f"contracts[{i}].clauses[{j}].{cap}",
                            severity="warning",
                            hint="add 'price' to 'requirements', or remove the cap",
                        )
                    )
    return out
