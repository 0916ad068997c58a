"""Compile the clauses in force on a day into a Cedar policy set (docs/governance.md).

The policy text is generated from the scenario, never kept by hand: the same scenario, day and
``--without`` give the same text, byte for byte, and its SHA-256 names it in every decision.
Cedar's semantics do the rest: default deny, and a ``forbid`` that applies overrides every
``permit``.

What each clause compiles to (principal: ``Stargate::Party``, resource: ``Stargate::Artifact``
with ``kind``, ``owner`` and, when released, ``released`` as a YYYYMMDD number):

* the **owner** of an artifact may do anything with it (``permit``, not a clause; no forbid
  below applies to the owner);
* ``ip_rights`` in force: ``permit`` the grantee to ``use`` the grantor's artifacts of the
  listed kinds;
* an ``agi_clause`` whose trigger (declared_on; verified_on where it names a verifier) is on
  or before the day, over an ``ip_rights`` clause in force with ``agi_carve_out`` (the clause
  is in its ``ends_clauses``, or names it in ``ends_on_agi``; none named: the AGI clauses of
  its contract): ``forbid`` the grantee to use the artifacts of those kinds released on or
  after the trigger, or not released (AGI technology), and ``permit`` ``control_passes_to`` to
  use them;
* ``investment`` in force: ``permit`` the investor to ``read-roadmap`` the investee's roadmap
  artifacts; and where the investee is a competitor (role ``competitor``) or the clause lists
  ``stakes_in_competitors``, ``forbid`` the investor to read any roadmap but those
  competitors' own;
* ``information_rights`` in force that deny ``roadmap``: ``forbid`` investors in the listed
  parties (by the investment clauses in force) to ``read-roadmap`` the grantor's roadmap.

Clauses switched off by ``--without``, and clauses not in force on the day (not yet, expired,
ended by an agreement or by AGI), compile to nothing: rights end when their clause ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stargate.domain.model import (
    AgiClause,
    ArtifactKind,
    ClauseBase,
    Contract,
    InformationRights,
    Investment,
    IpRights,
    PartyRole,
    Scenario,
)

NAMESPACE = "Stargate"
PARTY = f"{NAMESPACE}::Party"
ARTIFACT = f"{NAMESPACE}::Artifact"

#: The actions a request may name.
ACTIONS: tuple[str, ...] = ("use", "read-roadmap")

#: The Cedar schema every compiled policy set is validated against.
SCHEMA = f"""namespace {NAMESPACE} {{
  entity Party;
  entity Artifact {{ kind: String, owner: Party, released?: Long }};
  action "use", "read-roadmap" appliesTo {{ principal: Party, resource: Artifact }};
}}
"""


def day_number(day: date) -> int:
    """A day as the YYYYMMDD number the policies compare (orders as the days do)."""
    return day.year * 10000 + day.month * 100 + day.day


def _q(text: str) -> str:
    return json.dumps(text)  # a Cedar string literal: JSON's escapes are Cedar's


def _party(pid: str) -> str:
    return f"{PARTY}::{_q(pid)}"


def _action(name: str) -> str:
    return f"{NAMESPACE}::Action::{_q(name)}"


def _kinds(kinds: Iterable[ArtifactKind | str]) -> str:
    return "[" + ", ".join(_q(str(k)) for k in sorted({str(k) for k in kinds})) + "]"


def _parties(ids: Iterable[str]) -> str:
    return "[" + ", ".join(_party(p) for p in sorted(set(ids))) + "]"


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy of the set: its id (``ip_rights/microsoft-ip-rights``), effect, the clause
    and contract it comes from (None for the owner rule), what it says in words, and its
    Cedar text."""

    id: str
    effect: str  # "permit" | "forbid"
    clause: str | None
    contract: str | None
    says: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "effect": self.effect,
            "clause": self.clause,
            "contract": self.contract,
            "says": self.says,
        }


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """The Cedar policy set for one scenario on one day: the rules in order (Cedar names the
    i-th ``policy{i}``), the whole text and its SHA-256."""

    scenario_id: str
    day: date
    rules: tuple[Rule, ...]
    clauses_off: tuple[str, ...] = ()
    agi: tuple[tuple[str, date], ...] = field(default=())

    @property
    def text(self) -> str:
        head = (
            f"// Stargate access policy for scenario {self.scenario_id} on "
            f"{self.day.isoformat()}: generated from its clauses (docs/governance.md); do not "
            "edit.\n"
        )
        if self.clauses_off:
            head += f"// without: {', '.join(self.clauses_off)}\n"
        return head + "\n".join(r.text for r in self.rules)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def rule(self, cedar_id: str) -> Rule:
        """The rule Cedar calls ``policy{i}``."""
        return self.rules[int(cedar_id.removeprefix("policy"))]


def _rule(
    rid: str,
    effect: str,
    clause: ClauseBase | None,
    contract: Contract | None,
    says: str,
    scope: str,
    condition: str | None,
) -> Rule:
    lines = [f"@id({_q(rid)})"]
    if clause is not None and contract is not None:
        lines.append(f"@clause({_q(clause.id)})")
        lines.append(f"@contract({_q(contract.id)})")
    lines.append(f"@says({_q(says)})")
    body = f"{effect} ({scope})"
    if condition:
        body += f"\nwhen {{ {condition} }}"
    lines.append(body + ";")
    return Rule(
        rid,
        effect,
        clause.id if clause else None,
        contract.id if contract else None,
        says,
        "\n".join(lines) + "\n",
    )


def _governing(
    ip: IpRights, contract: Contract, agis: list[tuple[Contract, AgiClause]]
) -> list[AgiClause]:
    """The AGI clauses whose trigger carves AGI technology out of ``ip``."""
    named = [a for _, a in agis if ip.id in a.ends_clauses or ip.ends_on_agi == a.id]
    if named:
        return named
    return [a for c, a in agis if c.id == contract.id]


def compile_policy(
    scenario: Scenario, day: date, *, clauses_off: Iterable[str] = ()
) -> CompiledPolicy:
    """The Cedar policy set of the clauses in force on ``day`` (see the module docstring).
    ``scenario``: with ``--without`` agreements voided and AGI events applied already;
    ``clauses_off``: clause ids switched off."""
    off = frozenset(clauses_off)
    pairs = [(c, cl) for c, cl in scenario.clauses() if cl.id not in off]
    in_force = [(c, v) for c, cl in pairs if (v := cl.version_at(day)) is not None]
    agis = [(c, cl) for c, cl in pairs if isinstance(cl, AgiClause)]
    triggers = {a.id: t for _, a in agis if (t := a.verified_at()) is not None and t <= day}
    competitors = {p.id for p in scenario.parties if PartyRole.competitor in p.roles}
    use, roadmap = _action("use"), _action("read-roadmap")

    rules: list[Rule] = [
        _rule(
            "owner",
            "permit",
            None,
            None,
            "an artifact's owner may use it and read it",
            f"principal, action, resource is {ARTIFACT}",
            "resource.owner == principal",
        )
    ]
    forbids: list[Rule] = []
    for contract, v in in_force:
        if isinstance(v, IpRights):
            kinds = _kinds(v.artifact_kinds)
            rules.append(
                _rule(
                    f"ip_rights/{v.id}",
                    "permit",
                    v,
                    contract,
                    f"{v.grantee} may use {v.grantor}'s {', '.join(v.artifact_kinds)} "
                    f"until {v.end_date()}",
                    f"principal == {_party(v.grantee)}, action == {use}, resource is {ARTIFACT}",
                    f"resource.owner == {_party(v.grantor)} && {kinds}.contains(resource.kind)",
                )
            )
            if not v.agi_carve_out:
                continue
            for agi in _governing(v, contract, agis):
                t = triggers.get(agi.id)
                if t is None or v.grantee == agi.control_passes_to:
                    continue  # not triggered, or the grantee is who control passes to
                how = "verified" if agi.verified_by is not None else "declared"
                agi_tech = (
                    f"resource.owner == {_party(v.grantor)} && {kinds}.contains(resource.kind)"
                    f" && (if resource has released then resource.released >= {day_number(t)}"
                    " else true)"
                )
                forbids.append(
                    _rule(
                        f"agi_clause/{agi.id}/{v.id}",
                        "forbid",
                        agi,
                        contract,
                        f"AGI {how} on {t}: {v.grantor}'s {', '.join(v.artifact_kinds)} "
                        f"released from that day on (or not released) are AGI technology, "
                        f"outside {v.grantee}'s rights under {v.id}",
                        f"principal == {_party(v.grantee)}, action == {use}, "
                        f"resource is {ARTIFACT}",
                        f"resource.owner != principal && {agi_tech}",
                    )
                )
                rules.append(
                    _rule(
                        f"agi_clause/{agi.id}/{v.id}/control",
                        "permit",
                        agi,
                        contract,
                        f"AGI {how} on {t}: control of that AGI technology passes to "
                        f"{agi.control_passes_to}",
                        f"principal == {_party(agi.control_passes_to)}, action == {use}, "
                        f"resource is {ARTIFACT}",
                        agi_tech,
                    )
                )
        elif isinstance(v, Investment):
            rules.append(
                _rule(
                    f"investment/{v.id}",
                    "permit",
                    v,
                    contract,
                    f"{v.investor}, an investor in {v.investee}, may read its roadmap",
                    f"principal == {_party(v.investor)}, action == {roadmap}, "
                    f"resource is {ARTIFACT}",
                    f'resource.owner == {_party(v.investee)} && resource.kind == "roadmap"',
                )
            )
            stakes = set(v.stakes_in_competitors)
            if v.investee in competitors:
                stakes.add(v.investee)
            if stakes:
                forbids.append(
                    _rule(
                        f"investment/{v.id}/competitor",
                        "forbid",
                        v,
                        contract,
                        f"{v.investor} holds a stake in a competitor "
                        f"({', '.join(sorted(stakes))}): denied other parties' roadmaps",
                        f"principal == {_party(v.investor)}, action == {roadmap}, "
                        f"resource is {ARTIFACT}",
                        f'resource.owner != principal && resource.kind == "roadmap" && '
                        f"!{_parties(stakes)}.contains(resource.owner)",
                    )
                )
    # information rights: they read every investment in force; listed first of the forbids,
    # so that a roadmap denied by the contract's own clause names it before the general rule
    informed: list[Rule] = []
    for contract, v in in_force:
        if not isinstance(v, InformationRights) or "roadmap" not in v.denied:
            continue
        listed = set(v.denied_to_investors_in)
        investors = {
            inv.investor
            for _, inv in in_force
            if isinstance(inv, Investment)
            and (inv.investee in listed or listed & set(inv.stakes_in_competitors))
        }
        informed.append(
            _rule(
                f"information_rights/{v.id}",
                "forbid",
                v,
                contract,
                f"investors in {', '.join(sorted(listed))} are denied {v.grantor}'s roadmap"
                + (f" (now: {', '.join(sorted(investors))})" if investors else " (now: none)"),
                f"principal, action == {roadmap}, resource is {ARTIFACT}",
                # Cedar refuses an empty set literal: no investor in them now is `false`
                (f"{_parties(investors)}.contains(principal)" if investors else "false")
                + f" && resource.owner != principal && resource.owner == {_party(v.grantor)}"
                + ' && resource.kind == "roadmap"',
            )
        )
    return CompiledPolicy(
        scenario.id,
        day,
        tuple(informed + forbids + rules),
        tuple(sorted(off)),
        tuple(sorted(triggers.items())),
    )


def entities_sha256(scenario: Scenario) -> str:
    """SHA-256 of the entities' canonical JSON (sorted keys, no spaces): the facts (parties,
    artifacts, release dates) a policy is applied to, which its own hash does not cover."""
    text = json.dumps(entities(scenario), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entities(scenario: Scenario) -> list[dict[str, Any]]:
    """The Cedar entities of a scenario: its parties and its artifacts (with ``kind``,
    ``owner`` and ``released`` as YYYYMMDD when released)."""
    out: list[dict[str, Any]] = [
        {"uid": {"type": PARTY, "id": p.id}, "attrs": {}, "parents": []} for p in scenario.parties
    ]
    for a in scenario.artifacts:
        attrs: dict[str, Any] = {
            "kind": str(a.kind),
            "owner": {"__entity": {"type": PARTY, "id": a.owner}},
        }
        if a.released is not None:
            attrs["released"] = day_number(a.released)
        out.append({"uid": {"type": ARTIFACT, "id": a.id}, "attrs": attrs, "parents": []})
    return out
