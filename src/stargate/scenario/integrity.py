"""Checks that need the whole scenario: unique ids, references, power, dates, amendments;
and, in :mod:`stargate.scenario.procurement_checks`, those of capacity models, reservations,
dated capacity requests, contract prices, leases and statuses.

Field-level checks (types, ranges, one date range) live in the pydantic model; these checks run
after it and report every problem at once, each with its field path. They also run on a partial
scenario (the items that passed field-level validation) so that one bad party does not hide an
unknown accelerator elsewhere; ``known`` then holds the ids of items that failed, so references
to them are not reported twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import ValidationError

from stargate.domain.costs import facility_load_mw
from stargate.domain.model import (
    UNAMENDABLE_FIELDS,
    AgiClause,
    ClauseBase,
    Contract,
    Exclusivity,
    ProviderKind,
    RightOfFirstRefusal,
    Scenario,
)
from stargate.errors import Problem, did_you_mean
from stargate.scenario import procurement_checks
from stargate.scenario.yamlsrc import format_path


def _mw(value: float) -> str:
    """Megawatts for a message: one decimal, or three significant digits for an absurd value
    (a tdp_w of 1e300 must not print a 300-digit number)."""
    return f"{value:.1f}" if abs(value) < 1e9 else f"{value:.3g}"


@dataclass
class Namespaces:
    """Every id a reference may name, by kind."""

    parties: set[str] = field(default_factory=set)
    accelerators: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    clauses: set[str] = field(default_factory=set)


#: The top-level section that defines each kind of id a reference may name.
_SECTION_OF = {
    "party": "parties",
    "accelerator": "accelerators",
    "provider": "providers",
    "site": "sites",
    "workload class": "workload_classes",
    "clause": "contracts",
}


def _dupes(ids: Iterable[str]) -> set[str]:
    return {k for k, n in Counter(ids).items() if n > 1}


class _Checker:
    def __init__(self, scenario: Scenario, known: Namespaces, present: set[str] | None) -> None:
        self.s = scenario
        self.present = present
        self.problems: list[Problem] = []
        self.ns = Namespaces(
            parties={p.id for p in scenario.parties} | known.parties,
            accelerators={a.id for a in scenario.accelerators} | known.accelerators,
            providers={p.id for p in scenario.providers} | known.providers,
            sites={s.id for s in scenario.sites} | known.sites,
            classes={c.id for c in scenario.workload_classes} | known.classes,
            clauses={cl.id for _, cl in scenario.clauses()} | known.clauses,
        )

    def has(self, *fields: str) -> bool:
        """Whether these top-level fields validated (always, for a whole scenario)."""
        return self.present is None or set(fields) <= self.present

    def add(self, path: str, message: str, **kw: str | None) -> None:
        self.problems.append(Problem(message=message, path=path, **kw))  # type: ignore[arg-type]

    def ref(self, path: str, value: str, space: set[str], what: str) -> None:
        section = _SECTION_OF[what]
        if not self.has(section):
            return  # the section itself is broken (reported already); its ids are unknown
        if value not in space:
            article = "an" if what[0] in "aeiou" else "a"
            self.add(
                path,
                f"unknown {what} '{value}'",
                expected=f"the id of {article} {what} defined in the scenario",
                found=repr(value),
                hint=did_you_mean(value, space),
            )

    def unique(self, section: str, items: Sequence[object], what: str) -> None:
        ids = [getattr(it, "id") for it in items]  # noqa: B009
        for dup in sorted(_dupes(ids)):
            where = [i for i, x in enumerate(ids) if x == dup]
            self.add(
                f"{section}[{where[1]}].id",
                f"duplicate {what} id '{dup}' (first defined at {section}[{where[0]}])",
                expected="ids unique within the scenario",
            )

    # -- the checks ---------------------------------------------------------------------
    def run(self) -> list[Problem]:
        s = self.s
        self.unique("parties", s.parties, "party")
        self.unique("accelerators", s.accelerators, "accelerator")
        self.unique("providers", s.providers, "provider")
        self.unique("sites", s.sites, "site")
        self.unique("contracts", s.contracts, "contract")
        self.unique("workload_classes", s.workload_classes, "workload class")
        self.unique("workload_sources", s.workload_sources, "workload source")
        if self.has("settings", "as_of", "horizon"):
            self.settings()
        if self.has("settings"):
            procurement_checks.reference_class(self)
        self.accelerators()
        self.providers()
        procurement_checks.capacity_models(self)
        self.sites()
        self.contracts()
        self.workloads()
        procurement_checks.reservations(self)
        procurement_checks.capacity_requests(self)
        procurement_checks.procurement_ids(self)
        if self.has("budget"):
            self.budget()
        self.figures()
        if self.has("artifacts", "parties"):
            self.artifacts()
        return self.problems

    def artifacts(self) -> None:
        """Artifact ids are unique; each owner is a party of the scenario."""
        self.unique("artifacts", self.s.artifacts, "artifact")
        for i, a in enumerate(self.s.artifacts):
            self.ref(f"artifacts[{i}].owner", a.owner, self.ns.parties, "party")

    def figures(self) -> None:
        """Figure and provider-group ids are unique; a group names providers and sites of the
        scenario, and its id is not a provider's (a figure's subject names either)."""
        s = self.s
        self.unique("figures", s.figures, "figure")
        self.unique("provider_groups", s.provider_groups, "provider group")
        for i, g in enumerate(s.provider_groups):
            if g.id in self.ns.providers:
                self.add(
                    f"provider_groups[{i}].id",
                    f"provider group id '{g.id}' is also a provider's",
                    expected="a group id that is no provider's id",
                )
            for j, p in enumerate(g.providers):
                self.ref(f"provider_groups[{i}].providers[{j}]", p, self.ns.providers, "provider")
            for j, site in enumerate(g.sites):
                self.ref(f"provider_groups[{i}].sites[{j}]", site, self.ns.sites, "site")
        self.unique("supply_agreements", s.supply_agreements, "supply agreement")
        for i, a in enumerate(s.supply_agreements):
            self.ref(f"supply_agreements[{i}].buyer", a.buyer, self.ns.parties, "party")
            if a.accelerator is not None:
                self.ref(
                    f"supply_agreements[{i}].accelerator",
                    a.accelerator,
                    self.ns.accelerators,
                    "accelerator",
                )
            for j, site in enumerate(a.deployed_at):
                self.ref(f"supply_agreements[{i}].deployed_at[{j}]", site, self.ns.sites, "site")
            if a.through is not None and a.through < a.announced:
                self.add(
                    f"supply_agreements[{i}].through",
                    "the supply ends before it was announced",
                    expected=f"a date on or after {a.announced.isoformat()}",
                    found=a.through.isoformat(),
                )

    def settings(self) -> None:
        s = self.s
        self.ref(
            "settings.reference_accelerator",
            s.settings.reference_accelerator,
            self.ns.accelerators,
            "accelerator",
        )
        if not s.horizon.contains(s.as_of):
            self.add(
                "as_of",
                "as_of date lies outside the scenario horizon",
                expected=f"a date within {s.horizon.start}..{s.horizon.end or 'open'}",
                found=s.as_of.isoformat(),
            )

    def accelerators(self) -> None:
        for i, acc in enumerate(self.s.accelerators):
            for cls in acc.throughput:
                self.ref(
                    f"accelerators[{i}].throughput.{cls}", cls, self.ns.classes, "workload class"
                )
            if not any(v > 0 for v in acc.throughput.values()):
                self.add(
                    f"accelerators[{i}].throughput",
                    f"accelerator '{acc.id}' can run no workload class "
                    + ("(all throughputs are 0)" if acc.throughput else "(no 'throughput')"),
                    expected="at least one class with throughput > 0",
                )

    def providers(self) -> None:
        for i, prov in enumerate(self.s.providers):
            self.ref(f"providers[{i}].owner", prov.owner, self.ns.parties, "party")
            if prov.operator is not None:
                self.ref(f"providers[{i}].operator", prov.operator, self.ns.parties, "party")
            self.prices(f"providers[{i}].prices", [p.accelerator for p in prov.prices])
            procurement_checks.contract_prices(self, f"providers[{i}].prices", prov.prices)
            if prov.kind != ProviderKind.cloud and prov.prices:
                self.add(
                    f"providers[{i}].prices",
                    f"provider '{prov.id}' is '{prov.kind}': its cost comes from its sites' "
                    "'costs', not from hourly prices",
                    expected="prices only on cloud providers",
                )

    def prices(self, path: str, accelerators: list[str]) -> None:
        for j, acc in enumerate(accelerators):
            self.ref(f"{path}[{j}].accelerator", acc, self.ns.accelerators, "accelerator")
        for dup in sorted(_dupes(accelerators)):
            self.add(path, f"two prices for accelerator '{dup}'", expected="one price per type")

    def sites(self) -> None:
        providers = {p.id: p for p in self.s.providers}
        accs = {a.id: a for a in self.s.accelerators}
        pool_ids: list[tuple[str, str]] = []
        for i, site in enumerate(self.s.sites):
            base = f"sites[{i}]"
            self.ref(f"{base}.provider", site.provider, self.ns.providers, "provider")
            prov = providers.get(site.provider)
            procurement_checks.site_parts(self, i, site)
            self.prices(f"{base}.prices", [p.accelerator for p in site.prices])
            phase_ids = [ph.id for ph in site.phases]
            for dup in sorted(_dupes(phase_ids)):
                self.add(f"{base}.phases", f"duplicate phase id '{dup}' in site '{site.id}'")
            cap = site.power_capacity_mw
            if site.phases and cap is None:
                self.add(
                    f"{base}.power_capacity_mw",
                    f"site '{site.id}' has build phases but no power_capacity_mw",
                    expected="the site's full facility power in MW",
                )
            if cap is not None:
                for j, ph in enumerate(site.phases):
                    if ph.power_mw > cap:
                        self.add(
                            f"{base}.phases[{j}].power_mw",
                            f"phase '{ph.id}' is larger than its site's power",
                            expected=f"at most {cap:g} MW (sites[{i}].power_capacity_mw)",
                            found=f"{ph.power_mw:g} MW",
                        )
                total = sum(ph.power_mw for ph in site.phases)
                if len(site.phases) > 1 and total > cap * (1 + 1e-9):
                    self.add(
                        f"{base}.phases",
                        f"phases of site '{site.id}' add up to more than its power",
                        expected=f"at most {cap:g} MW in all",
                        found=f"{total:g} MW",
                    )
            if prov is not None and prov.kind != ProviderKind.cloud:
                if site.costs is None and site.pools:
                    self.add(
                        f"{base}.costs",
                        f"site '{site.id}' of {prov.kind} provider '{prov.id}' has pools but "
                        "no 'costs' to derive a price per accelerator-hour from",
                        expected="facility_capex_usd_per_mw, lives and opex",
                    )
                if site.energy_price_usd_per_mwh is None and site.pools:
                    self.add(
                        f"{base}.energy_price_usd_per_mwh",
                        f"site '{site.id}' of {prov.kind} provider '{prov.id}' needs an energy "
                        "price",
                        expected="USD per MWh",
                    )
            if site.costs is not None:
                for acc_id in site.costs.accelerator_unit_price_usd:
                    self.ref(
                        f"{base}.costs.accelerator_unit_price_usd.{acc_id}",
                        acc_id,
                        self.ns.accelerators,
                        "accelerator",
                    )
            draw_mw = Decimal(0)
            for j, pool in enumerate(site.pools):
                ppath = f"{base}.pools[{j}]"
                pool_ids.append((pool.id, ppath))
                self.ref(
                    f"{ppath}.accelerator", pool.accelerator, self.ns.accelerators, "accelerator"
                )
                acc = accs.get(pool.accelerator)
                if pool.phase is not None:
                    pool_phase = site.phase(pool.phase)
                    if pool_phase is None:
                        self.add(
                            f"{ppath}.phase",
                            f"unknown phase '{pool.phase}' of site '{site.id}'",
                            hint=did_you_mean(pool.phase, phase_ids),
                        )
                    elif pool.available_from < pool_phase.online:
                        self.add(
                            f"{ppath}.available_from",
                            f"pool '{pool.id}' is available before its phase '{pool_phase.id}' "
                            "is online",
                            expected=f"on or after {pool_phase.online.isoformat()}",
                            found=pool.available_from.isoformat(),
                        )
                if acc is None:
                    continue
                if pool.available_from < acc.available_from:
                    self.add(
                        f"{ppath}.available_from",
                        f"pool '{pool.id}' is available before accelerator '{acc.id}' exists",
                        expected=f"on or after {acc.available_from.isoformat()} "
                        f"(accelerators[].available_from of '{acc.id}')",
                        found=pool.available_from.isoformat(),
                    )
                if prov is not None and prov.kind == ProviderKind.cloud:
                    has_price = any(p.accelerator == acc.id for p in site.prices) or (
                        prov.price_for(acc.id) is not None
                    )
                    if not has_price:
                        self.add(
                            f"{ppath}.accelerator",
                            f"cloud '{prov.id}' has no price for accelerator '{acc.id}'",
                            expected=f"a price row for '{acc.id}' in providers[].prices or "
                            f"sites[{i}].prices",
                        )
                if self.has("settings"):  # server_overhead is needed for the draw
                    draw_mw += facility_load_mw(self.s, site, acc) * pool.count
            if cap is not None and draw_mw > Decimal(str(cap)) * Decimal("1.000001"):
                self.add(
                    f"{base}.pools",
                    f"pools of site '{site.id}' draw more power than the site has "
                    "(count × tdp_w × server_overhead × pue)",
                    expected=f"at most {cap:g} MW",
                    found=f"{_mw(float(draw_mw))} MW",
                )
            for k, out in enumerate(site.outages):
                known = {p.id for p in site.pools}
                for m, pid in enumerate(out.pools):
                    if pid not in known:
                        self.add(
                            f"{base}.outages[{k}].pools[{m}]",
                            f"unknown pool '{pid}' of site '{site.id}'",
                            hint=did_you_mean(pid, known),
                        )
        seen: dict[str, str] = {}
        for pid, path in pool_ids:
            if pid in seen:
                self.add(
                    f"{path}.id",
                    f"duplicate pool id '{pid}' (first defined at {seen[pid]})",
                    expected="pool ids unique within the scenario",
                )
            else:
                seen[pid] = path

    def contracts(self) -> None:
        clause_ids: dict[str, str] = {}
        for i, con in enumerate(self.s.contracts):
            base = f"contracts[{i}]"
            for j, p in enumerate(con.parties):
                self.ref(f"{base}.parties[{j}]", p, self.ns.parties, "party")
            for j, cl in enumerate(con.clauses):
                cpath = f"{base}.clauses[{j}]"
                if cl.id in clause_ids:
                    self.add(
                        f"{cpath}.id",
                        f"duplicate clause id '{cl.id}' (first defined at {clause_ids[cl.id]})",
                        expected="clause ids unique in the scenario",
                    )
                else:
                    clause_ids[cl.id] = cpath
                self.clause(cpath, con.parties, cl)
            self.agreements(base, con.parties, con)
        self.term_ids()

    def term_ids(self) -> None:
        """Ids of agreements, clauses and amendments (on clauses, and those agreement changes
        make: ``AGREEMENT--CLAUSE`` by default) are unique together across the scenario: each
        is a ``--without`` name. (Duplicate clause ids are reported by :meth:`contracts`.)"""
        seen: dict[str, str] = {}
        items: list[tuple[str, str, str]] = []
        for i, con in enumerate(self.s.contracts):
            base = f"contracts[{i}]"
            for j, cl in enumerate(con.clauses):
                items.append((f"{base}.clauses[{j}].id", cl.id, "clause"))
            for a, ag in enumerate(con.agreements):
                apath = f"{base}.agreements[{a}]"
                items.append((f"{apath}.id", ag.id, "agreement"))
                for m, added in enumerate(ag.adds):
                    items.append((f"{apath}.adds[{m}].id", added.id, "clause"))
            for j, cl in enumerate(con.clauses):
                for k, am in enumerate(cl.amendments):
                    path = f"{base}.clauses[{j}].amendments[{k}].id"
                    items.append((path, am.id, "amendment"))
            for a, ag in enumerate(con.agreements):
                apath = f"{base}.agreements[{a}]"
                for m, added in enumerate(ag.adds):
                    for k, am in enumerate(added.amendments):
                        path = f"{apath}.adds[{m}].amendments[{k}].id"
                        items.append((path, am.id, "amendment"))
                for k, ch in enumerate(ag.changes):
                    path = f"{apath}.changes[{k}]" + (".id" if ch.id else "")
                    items.append((path, ag.change_id(ch), "amendment"))
        clause_paths = {p for p, _, what in items if what == "clause" and ".clauses[" in p}
        for path, item_id, what in items:
            if item_id in seen:
                if what == "clause" and path in clause_paths:
                    continue  # reported by contracts() already
                self.add(
                    path,
                    f"duplicate id '{item_id}' of {'an' if what[0] == 'a' else 'a'} {what} "
                    f"(first defined at {seen[item_id]})",
                    expected="ids of agreements, clauses and amendments unique in the "
                    "scenario (each is a --without name)",
                    found=repr(item_id),
                )
            else:
                seen[item_id] = path

    def agreements(self, base: str, parties: list[str], con: Contract) -> None:
        """An agreement changes clauses of its contract that exist on its date (its own, or
        added by an agreement not later than it), in fields an amendment may change, into a
        valid clause (cumulative: read on top of earlier agreements' changes); the clauses it
        adds are in force no earlier than its date."""
        added_on: dict[str, date] = {}
        for ag in con.agreements:
            for added in ag.adds:
                added_on.setdefault(added.id, ag.date)
        own = {cl.id: cl for cl in con.clauses}
        by_id: dict[str, ClauseBase] = {**own}
        for ag in con.agreements:
            for added in ag.adds:
                by_id.setdefault(added.id, added)
        terms = {cl.id: cl for cl in con.terms()}
        ended: dict[str, tuple[str, date]] = {}
        order = sorted(range(len(con.agreements)), key=lambda a: con.agreements[a].date)
        for a in order:
            ag = con.agreements[a]
            apath = f"{base}.agreements[{a}]"
            for m, added in enumerate(ag.adds):
                mpath = f"{apath}.adds[{m}]"
                if added.effective.start < ag.date:
                    self.add(
                        f"{mpath}.effective.start",
                        f"clause '{added.id}' added by agreement '{ag.id}' takes effect before "
                        "the agreement",
                        expected=f"on or after {ag.date.isoformat()}",
                        found=added.effective.start.isoformat(),
                    )
                self.clause(mpath, parties, added)
            for k, ch in enumerate(ag.changes):
                cpath = f"{apath}.changes[{k}]"
                target = by_id.get(ch.clause)
                if target is None:
                    elsewhere = any(
                        cl.id == ch.clause for other in self.s.contracts for cl in other.terms()
                    )
                    self.add(
                        f"{cpath}.clause",
                        f"unknown clause '{ch.clause}' in contract '{con.id}'"
                        + (" (it belongs to another contract)" if elsewhere else ""),
                        expected="the id of a clause of this contract, or one an agreement "
                        "of it added",
                        found=repr(ch.clause),
                        hint=did_you_mean(ch.clause, set(by_id)),
                    )
                    continue
                when = added_on.get(ch.clause)
                if ch.clause not in own and when is not None and when > ag.date:
                    self.add(
                        f"{cpath}.clause",
                        f"clause '{ch.clause}' is added by a later agreement (on "
                        f"{when.isoformat()}) than '{ag.id}' ({ag.date.isoformat()})",
                        expected="a clause that exists on the agreement's date",
                        found=repr(ch.clause),
                    )
                    continue
                if ch.clause in ended:
                    by, on = ended[ch.clause]
                    self.add(
                        f"{cpath}.clause",
                        f"clause '{ch.clause}' was ended by agreement '{by}' on "
                        f"{on.isoformat()}: '{ag.id}' cannot change it",
                        expected="a clause in force on the agreement's date",
                        found=repr(ch.clause),
                    )
                    continue
                if ch.action == "terminate":
                    ended[ch.clause] = (ag.id, ag.date)
                    continue
                fields = set(type(target).model_fields)
                bad = sorted(set(ch.changes) & UNAMENDABLE_FIELDS)
                unknown = sorted(set(ch.changes) - fields)
                for key in bad:
                    self.add(
                        f"{cpath}.changes.{key}",
                        f"an agreement cannot change '{key}' of a clause",
                        hint="use 'terminate' to end a clause, or add a new clause",
                    )
                for key in unknown:
                    self.add(
                        f"{cpath}.changes.{key}",
                        f"'{target.kind}' has no field '{key}'",
                        hint=did_you_mean(key, fields - UNAMENDABLE_FIELDS),
                    )
                if bad or unknown:
                    continue
                term = terms.get(ch.clause)
                am = next(
                    (x for x in (term.amendments if term else []) if x.id == ag.change_id(ch)),
                    None,
                )
                if term is None or am is None:
                    continue
                try:
                    amended = term.amended(am)
                except ValidationError as exc:
                    for err in exc.errors(include_url=False):
                        loc = format_path(tuple(err["loc"]))
                        self.add(
                            f"{cpath}.changes.{loc}",
                            f"amended clause is invalid: {err['msg']}",
                            found=repr(err.get("input")),
                        )
                else:
                    self.clause_refs_only(f"{cpath}.changes", amended)

    def clause(self, path: str, contract_parties: list[str], cl: ClauseBase) -> None:
        for fld, party in cl.party_refs().items():
            self.ref(f"{path}.{fld}", party, self.ns.parties, "party")
        if isinstance(cl, RightOfFirstRefusal | Exclusivity):
            for fld, party in cl.party_refs().items():
                if party in self.ns.parties and party not in contract_parties:
                    self.add(
                        f"{path}.{fld}",
                        f"'{party}' is not a party to this contract",
                        expected=f"one of {', '.join(contract_parties)}",
                    )
            for k, c in enumerate(cl.workload_classes):
                self.ref(f"{path}.workload_classes[{k}]", c, self.ns.classes, "workload class")
        if isinstance(cl, RightOfFirstRefusal):
            for k, p in enumerate(cl.holder_providers):
                self.ref(f"{path}.holder_providers[{k}]", p, self.ns.providers, "provider")
            owned = [p for p in self.s.providers if p.owner == cl.holder]
            # A provider that failed validation may be the holder's: then say nothing more.
            all_providers_valid = self.ns.providers == {p.id for p in self.s.providers}
            if (
                not cl.holder_providers
                and not owned
                and all_providers_valid
                and cl.holder in self.ns.parties
            ):
                self.add(
                    f"{path}.holder_providers",
                    f"holder '{cl.holder}' owns no provider, so it could never meet a request",
                    expected="holder_providers, or a provider whose owner is the holder",
                )
        if isinstance(cl, Exclusivity):
            self.ref(f"{path}.provider", cl.provider, self.ns.providers, "provider")
        if isinstance(cl, AgiClause):
            for k, cid in enumerate(cl.ends_clauses):
                self.ref(f"{path}.ends_clauses[{k}]", cid, self.ns.clauses, "clause")
            if cl.verified_on is not None and cl.verified_by is None:
                self.add(
                    f"{path}.verified_on",
                    "'verified_on' without 'verified_by'",
                    expected="who verifies the declaration in 'verified_by', or no 'verified_on'",
                )
        if cl.ends_on_agi is not None and self.has("contracts"):
            agi = {c.id for _, c in self.s.clauses() if isinstance(c, AgiClause)}
            if cl.ends_on_agi not in agi:
                self.add(
                    f"{path}.ends_on_agi",
                    f"unknown agi_clause '{cl.ends_on_agi}'",
                    expected="the id of an agi_clause of the scenario",
                    found=repr(cl.ends_on_agi),
                    hint=did_you_mean(cl.ends_on_agi, agi),
                )
        self.amendments(path, cl)

    def amendments(self, path: str, cl: ClauseBase) -> None:
        ams = cl.amendments
        for k, am in enumerate(ams):
            apath = f"{path}.amendments[{k}]"
            if am.effective.start < cl.effective.start or (
                cl.effective.end is not None and am.effective.start > cl.effective.end
            ):
                self.add(
                    f"{apath}.effective.start",
                    "amendment takes effect outside its clause's effective period",
                    expected=f"within {cl.effective.start}..{cl.effective.end or 'open'}",
                    found=am.effective.start.isoformat(),
                )
            for m, other in enumerate(ams[:k]):
                if am.effective.overlaps(other.effective):
                    self.add(
                        f"{apath}.effective",
                        f"amendment '{am.id}' overlaps amendment '{other.id}' "
                        f"({path}.amendments[{m}]); at most one amendment may apply on any day",
                        expected="non-overlapping amendment periods",
                        found=f"{am.effective.start}..{am.effective.end or 'open'} and "
                        f"{other.effective.start}..{other.effective.end or 'open'}",
                    )
            bad = sorted(set(am.changes) & UNAMENDABLE_FIELDS)
            unknown = sorted(set(am.changes) - set(type(cl).model_fields))
            for key in bad:
                self.add(
                    f"{apath}.changes.{key}",
                    f"an amendment cannot change '{key}'",
                    hint="use 'terminate' to end a clause, or a new clause",
                )
            for key in unknown:
                self.add(
                    f"{apath}.changes.{key}",
                    f"'{cl.kind}' has no field '{key}'",
                    hint=did_you_mean(key, set(type(cl).model_fields) - UNAMENDABLE_FIELDS),
                )
            if am.action == "modify" and not bad and not unknown:
                try:
                    amended = cl.amended(am)
                except ValidationError as exc:
                    for err in exc.errors(include_url=False):
                        loc = format_path(tuple(err["loc"]))
                        self.add(
                            f"{apath}.changes.{loc}",
                            f"amended clause is invalid: {err['msg']}",
                            found=repr(err.get("input")),
                        )
                else:
                    self.clause_refs_only(f"{apath}.changes", amended)

    def clause_refs_only(self, path: str, cl: ClauseBase) -> None:
        """References inside an amended clause (changes may name parties, classes...)."""
        for fld, party in cl.party_refs().items():
            if party not in self.ns.parties:
                self.ref(f"{path}.{fld}", party, self.ns.parties, "party")
        if isinstance(cl, RightOfFirstRefusal | Exclusivity):
            for k, c in enumerate(cl.workload_classes):
                if c not in self.ns.classes:
                    self.ref(f"{path}.workload_classes[{k}]", c, self.ns.classes, "workload class")
        if isinstance(cl, RightOfFirstRefusal):
            for k, p in enumerate(cl.holder_providers):
                self.ref(f"{path}.holder_providers[{k}]", p, self.ns.providers, "provider")
        if isinstance(cl, Exclusivity):
            self.ref(f"{path}.provider", cl.provider, self.ns.providers, "provider")
        if isinstance(cl, AgiClause):
            for k, cid in enumerate(cl.ends_clauses):
                self.ref(f"{path}.ends_clauses[{k}]", cid, self.ns.clauses, "clause")

    def workloads(self) -> None:
        for i, src in enumerate(self.s.workload_sources):
            for k, c in enumerate(src.workload_classes):
                self.ref(
                    f"workload_sources[{i}].workload_classes[{k}]",
                    c,
                    self.ns.classes,
                    "workload class",
                )
            kinds = {c.id: str(c.kind) for c in self.s.workload_classes}
            for k, row in enumerate(src.forecast):
                self.ref(
                    f"workload_sources[{i}].forecast[{k}].workload_class",
                    row.workload_class,
                    self.ns.classes,
                    "workload class",
                )
                kind = kinds.get(row.workload_class)
                unit = "accelerator_hours" if row.accelerator_hours is not None else "tokens_per_s"
                wanted = {"training": "accelerator_hours", "inference": "tokens_per_s"}.get(
                    kind or ""
                )
                if wanted is not None and unit != wanted:
                    self.add(
                        f"workload_sources[{i}].forecast[{k}].{unit}",
                        f"demand for {kind} class '{row.workload_class}' is in the wrong unit",
                        expected=f"{wanted} ({kind} demand)",
                        found=unit,
                    )

    def budget(self) -> None:
        ms = self.s.budget.milestones
        for k in range(1, len(ms)):
            if ms[k].by <= ms[k - 1].by:
                self.add(
                    f"budget.milestones[{k}].by",
                    "milestones must be in date order",
                    expected=f"after {ms[k - 1].by.isoformat()}",
                    found=ms[k].by.isoformat(),
                )
            elif ms[k].capex_usd < ms[k - 1].capex_usd:
                self.add(
                    f"budget.milestones[{k}].capex_usd",
                    "cumulative budget decreases from one milestone to the next",
                    expected=f"at least {ms[k - 1].capex_usd}",
                    found=str(ms[k].capex_usd),
                )


def check_integrity(
    scenario: Scenario, known: Namespaces | None = None, *, present: set[str] | None = None
) -> list[Problem]:
    """Every whole-scenario problem. ``present`` names the top-level fields that validated
    (None: all of them), for a partial scenario built from invalid data."""
    return _Checker(scenario, known or Namespaces(), present).run()


def ids_in(raw: Mapping[str, object]) -> Namespaces:
    """Ids present in raw (unvalidated) data, so references to invalid items are not
    reported as unknown on top of the item's own error."""

    def ids(section: str) -> set[str]:
        items = raw.get(section)
        out: set[str] = set()
        if isinstance(items, list):
            for it in items:
                if isinstance(it, dict) and isinstance(it.get("id"), str):
                    out.add(it["id"])
        return out

    clauses: set[str] = set()
    contracts = raw.get("contracts")
    if isinstance(contracts, list):
        for con in contracts:
            if isinstance(con, dict) and isinstance(con.get("clauses"), list):
                for cl in con["clauses"]:
                    if isinstance(cl, dict) and isinstance(cl.get("id"), str):
                        clauses.add(cl["id"])
    return Namespaces(
        parties=ids("parties"),
        accelerators=ids("accelerators"),
        providers=ids("providers"),
        sites=ids("sites"),
        classes=ids("workload_classes"),
        clauses=clauses,
    )


def integrity_warnings(scenario: Scenario) -> list[Problem]:
    """Whole-scenario advice on a valid scenario: what is legal but probably not meant."""
    return procurement_checks.warnings(scenario)
