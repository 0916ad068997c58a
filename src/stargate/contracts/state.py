"""The state of each clause on a day, clause selectors, and one-line descriptions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stargate.domain.model import (
    CLAUSE_KINDS,
    AgiClause,
    ClauseBase,
    CommittedSpend,
    Exclusivity,
    InformationRights,
    Investment,
    IpRights,
    RevenueShare,
    RightOfFirstRefusal,
    Scenario,
)
from stargate.errors import InputError, Problem, did_you_mean

#: Short names users may type for clause kinds (``--without rofr``).
KIND_ALIASES = {
    "rofr": "right_of_first_refusal",
    "exclusive": "exclusivity",
    "ip": "ip_rights",
    "agi": "agi_clause",
    "revenue-share": "revenue_share",
    "commitment": "committed_spend",
}


@dataclass(frozen=True, slots=True)
class ClauseState:
    """A clause on one day: whether it is in force, why (not), and the text that applies."""

    contract_id: str
    clause: ClauseBase
    day: date
    status: str  # "in_force" | "not_yet" | "expired" | "terminated"
    reason: str
    version: ClauseBase | None
    amendment: str | None

    @property
    def in_force(self) -> bool:
        return self.version is not None


def clause_state(
    contract_id: str, clause: ClauseBase, day: date, agi: list[AgiClause] | None = None
) -> ClauseState:
    """A clause's state on ``day``. ``agi``: AGI clauses in force that day, so that a clause an
    AGI declaration has taken AGI technology out of says so in its reason."""
    if day < clause.effective.start:
        return ClauseState(
            contract_id,
            clause,
            day,
            "not_yet",
            f"in force from {clause.effective.start.isoformat()}",
            None,
            None,
        )
    agi_end = clause._agi_end
    if agi_end is not None and day >= agi_end:
        return ClauseState(
            contract_id,
            clause,
            day,
            "terminated",
            f"ended when AGI was verified under '{clause.ends_on_agi}' on {agi_end.isoformat()}",
            None,
            None,
        )
    am = clause.active_amendment(day)
    if am is not None and am.action == "terminate":
        return ClauseState(
            contract_id,
            clause,
            day,
            "terminated",
            f"ended by amendment '{am.id}' on {am.effective.start.isoformat()}",
            None,
            am.id,
        )
    version = clause.version_at(day)
    shown = clause.amended(am) if am is not None else clause
    end = shown.end_date()
    if version is None:
        last = end or shown.effective.end
        return ClauseState(
            contract_id,
            clause,
            day,
            "expired",
            f"expired after {last.isoformat() if last else '?'}",
            None,
            None,
        )
    until = f" until {end.isoformat()}" if end else ""
    reason = f"in force since {clause.effective.start.isoformat()}{until}"
    amendment = am.id if am is not None else None
    if amendment:
        reason += f", as amended by '{amendment}'"
    for agi_clause in agi or []:
        trigger = agi_clause.trigger_date()
        if trigger is not None and trigger <= day and clause.id in agi_clause.ends_clauses:
            how = "verified" if agi_clause.verified_by is not None else "declared"
            reason += (
                f"; AGI {how} on {trigger.isoformat()} ({agi_clause.id}): "
                f"no longer covers AGI technology, now controlled by "
                f"{agi_clause.control_passes_to}"
            )
    return ClauseState(contract_id, clause, day, "in_force", reason, version, amendment)


def agi_clauses_in_force(scenario: Scenario, day: date) -> list[AgiClause]:
    out = []
    for _, clause in scenario.clauses():
        version = clause.version_at(day)
        if isinstance(version, AgiClause):
            out.append(version)
    return out


def clauses_in_force(
    scenario: Scenario, day: date, *, without: frozenset[str] = frozenset()
) -> list[ClauseState]:
    """Clauses in force on ``day``, in scenario order, leaving out the ids in ``without``."""
    out = []
    agi = agi_clauses_in_force(scenario, day)
    for contract, clause in scenario.clauses():
        if clause.id in without:
            continue
        st = clause_state(contract.id, clause, day, agi)
        if st.in_force:
            out.append(st)
    return out


def resolve_clause_selector(scenario: Scenario, selector: str) -> frozenset[str]:
    """Clause ids named by a selector: a clause id, a contract id (all its clauses), a clause
    kind (``right_of_first_refusal``) or its short alias (``rofr``). Agreement and amendment
    ids name no clause (see :func:`apply_without`): they give the empty set."""
    sel = selector.strip()
    kind = KIND_ALIASES.get(sel, sel.replace("-", "_"))
    if kind in CLAUSE_KINDS:
        return frozenset(cl.id for _, cl in scenario.clauses() if cl.kind == kind)
    ids = {cl.id for _, cl in scenario.clauses()}
    if sel in ids:
        return frozenset({sel})
    for contract in scenario.contracts:
        if contract.id == sel:
            return frozenset(cl.id for cl in contract.terms())
    if sel in agreement_ids(scenario) or sel in amendment_ids(scenario):
        return frozenset()
    choices = (
        ids
        | set(CLAUSE_KINDS)
        | set(KIND_ALIASES)
        | {c.id for c in scenario.contracts}
        | agreement_ids(scenario)
        | amendment_ids(scenario)
    )
    raise InputError(
        Problem(
            f"unknown clause '{selector}'",
            path="--without",
            expected="a clause id, an agreement or amendment id, a contract id, or a clause "
            "kind (e.g. rofr, exclusivity)",
            hint=did_you_mean(sel, choices),
        )
    )


def agreement_ids(scenario: Scenario) -> set[str]:
    return {ag.id for c in scenario.contracts for ag in c.agreements}


def amendment_ids(scenario: Scenario) -> set[str]:
    """Ids of every amendment: those written on clauses and those agreements make."""
    return {am.id for _, cl in scenario.clauses() for am in cl.amendments}


def apply_without(scenario: Scenario, selectors: Iterable[str]) -> tuple[Scenario, frozenset[str]]:
    """The scenario as it would read without some terms, and the clause ids switched off.

    * an **agreement** id voids the agreement: its changes and the clauses it added are gone,
      and so are the dated capacity requests tagged with it (``agreement``), so the terms
      before it hold;
    * an **amendment** id (of a clause, or of an agreement's change) removes that amendment;
    * a clause id, a contract id or a kind switches clauses off (the returned ids), as before;
      a contract id also drops the dated capacity requests tagged with it (``contract``).

    Unknown selectors are an InputError naming ``--without``. The scenario is returned as is
    when no agreement or amendment is named."""
    sels = [s.strip() for s in selectors]
    off: set[str] = set()
    agreements = agreement_ids(scenario)
    amendments = amendment_ids(scenario)
    drop_ag = {s for s in sels if s in agreements}
    drop_am = {s for s in sels if s in amendments and s not in agreements}
    contract_ids = {c.id for c in scenario.contracts}
    drop_con = {s for s in sels if s in contract_ids}
    for sel in sels:
        if sel in drop_ag or sel in drop_am:
            continue
        off |= resolve_clause_selector(scenario, sel)
    tagged = any(
        r.agreement in drop_ag or r.contract in drop_con for r in scenario.capacity_requests
    )
    if not drop_ag and not drop_am and not tagged:
        return scenario, frozenset(off)
    contracts = []
    for c in scenario.contracts:
        kept = []
        for ag in c.agreements:
            if ag.id in drop_ag:
                continue
            changes = [ch for ch in ag.changes if ag.change_id(ch) not in drop_am]
            kept.append(ag.model_copy(update={"changes": changes}))
        clauses = [
            cl.model_copy(
                update={"amendments": [am for am in cl.amendments if am.id not in drop_am]}
            )
            for cl in c.clauses
        ]
        contracts.append(c.model_copy(update={"agreements": kept, "clauses": clauses}))
    requests = [
        r
        for r in scenario.capacity_requests
        if r.agreement not in drop_ag and r.contract not in drop_con
    ]
    derived = scenario.model_copy(update={"contracts": contracts, "capacity_requests": requests})
    for c in derived.contracts:
        c._terms = None
        for cl in c.clauses:
            cl._amended = {}
    return derived, frozenset(off)


@dataclass(frozen=True, slots=True)
class Without:
    """What ``--without`` names, resolved: the derived scenario (agreements and amendments
    voided), the clause ids switched off, and the agreement and amendment ids voided."""

    scenario: Scenario
    clause_ids: frozenset[str]
    voided: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        """Everything switched off, for reports and provenance: clause ids and voided names."""
        return sorted(self.clause_ids | set(self.voided))


def resolve_without(scenario: Scenario, selectors: Iterable[str]) -> Without:
    """:func:`apply_without`, keeping the names of the agreements and amendments it voided.

    Every engine resolves ``without`` through this at its entry and runs on the derived
    scenario, so ``--without AGREEMENT_ID`` means the same in ``place``, ``simulate``, ``plan``
    and ``scenario show``. Passing the returned clause ids on with the derived scenario is a
    no-op resolution (clause ids stay valid there)."""
    sels = [s.strip() for s in selectors]
    named = agreement_ids(scenario) | amendment_ids(scenario)
    derived, off = apply_without(scenario, sels)
    voided = tuple(sorted({s for s in sels if s in named}))
    return Without(derived, off, voided)


def _usd(amount: Decimal) -> str:
    if amount >= Decimal("1e9"):
        return f"${amount / Decimal('1e9'):,.1f}B"
    if amount >= Decimal("1e6"):
        return f"${amount / Decimal('1e6'):,.1f}M"
    return f"${amount:,.2f}"


def describe(clause: ClauseBase) -> str:
    """What a clause says, in one line of plain words."""
    if isinstance(clause, RightOfFirstRefusal):
        reqs = ", ".join(str(r) for r in clause.requirements) or "nothing"
        cap = (
            f"; price cap {_usd(clause.price_cap_usd_per_accelerator_hour)}/accelerator-hour"
            if clause.price_cap_usd_per_accelerator_hour is not None
            else ""
        )
        if clause.price_cap_usd_per_reference_hour is not None:
            cap += (
                f"; price cap {_usd(clause.price_cap_usd_per_reference_hour)}/reference "
                "accelerator-hour of work"
            )
        via = f" via {', '.join(clause.holder_providers)}" if clause.holder_providers else ""
        return (
            f"{clause.beneficiary} must first offer new {', '.join(clause.workload_classes)} "
            f"capacity to {clause.holder}{via}; answer within {clause.response_window_h:g} h; "
            f"released when the holder cannot meet: {reqs}{cap}"
        )
    if isinstance(clause, Exclusivity):
        return (
            f"{clause.party}'s {', '.join(clause.workload_classes)} runs only on {clause.provider}"
        )
    if isinstance(clause, IpRights):
        carve = " (AGI carved out)" if clause.agi_carve_out else ""
        if not clause.exclusive:
            carve += " (not exclusive)"
        return (
            f"{clause.grantee} may use {clause.grantor}'s "
            f"{', '.join(str(a) for a in clause.artifact_kinds)} until "
            f"{clause.until.isoformat()}{carve}"
        )
    if isinstance(clause, RevenueShare):
        cap = f", up to {_usd(clause.cap_usd)} in all" if clause.cap_usd is not None else ""
        return (
            f"{clause.payer} pays {clause.payee} {clause.percent}% of {clause.revenue_stream}{cap}"
        )
    if isinstance(clause, CommittedSpend):
        end = clause.period.end.isoformat() if clause.period.end else "open"
        return (
            f"{clause.buyer} commits to spend {_usd(clause.amount_usd)} with {clause.seller} "
            f"({clause.period.start.isoformat()}..{end})"
        )
    if isinstance(clause, Investment):
        stake = f" for {clause.stake_percent}%" if clause.stake_percent is not None else ""
        comp = (
            f"; holds stakes in competitors {', '.join(clause.stakes_in_competitors)}"
            if clause.stakes_in_competitors
            else ""
        )
        return (
            f"{clause.investor} invests {_usd(clause.amount_usd)} in {clause.investee}{stake} "
            f"({clause.date.isoformat()}){comp}"
        )
    if isinstance(clause, AgiClause):
        state = (
            f"declared on {clause.declared_on.isoformat()}"
            if clause.declared_on
            else "not declared"
        )
        if clause.verified_by is not None:
            state += (
                f"; verified by {clause.verified_by} on {clause.verified_on.isoformat()}"
                if clause.verified_on
                else f"; to be verified by {clause.verified_by}, not verified"
            )
        ends = f"; ends {', '.join(clause.ends_clauses)} for it" if clause.ends_clauses else ""
        return (
            f"once {clause.declared_by} declares AGI, control of it passes to "
            f"{clause.control_passes_to}{ends} ({state})"
        )
    if isinstance(clause, InformationRights):
        return (
            f"investors of {clause.grantor} with stakes in "
            f"{', '.join(clause.denied_to_investors_in)} get no access to "
            f"{', '.join(clause.denied)}"
        )
    return clause.kind
