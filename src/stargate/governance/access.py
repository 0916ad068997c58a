"""Access decisions: may a party use an artifact (or read a roadmap) on a day, under the
clauses in force, and which clause decided.

:func:`check` compiles the policy (:mod:`stargate.governance.policy`), asks Cedar (``cedarpy``,
imported on first use), and explains the answer: the rules Cedar reports as determining it,
mapped back to their clauses, or — for a default deny — the clauses that could have granted it
and why they do not (not yet in force, expired, ended by an agreement or by AGI).

Unknown parties are denied (Cedar's default: no rule names them); an unknown artifact is bad
input (:class:`~stargate.errors.InputError`), since there is nothing to decide about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stargate.contracts import clause_state
from stargate.domain.model import (
    ArtifactKind,
    Investment,
    IpRights,
    Scenario,
)
from stargate.errors import InputError, InternalError, Problem, did_you_mean
from stargate.governance.agi import AgiEvent, Ignored, apply_events
from stargate.governance.policy import (
    ACTIONS,
    ARTIFACT,
    NAMESPACE,
    PARTY,
    SCHEMA,
    CompiledPolicy,
    Rule,
    compile_policy,
    entities,
    entities_sha256,
)


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """The answer to one request, with what decided it and the policy it was decided by."""

    party: str
    artifact: str
    action: str
    day: date
    allowed: bool
    decided_by: tuple[Rule, ...]
    reason: str
    policy_sha256: str
    scenario_id: str
    entities_sha256: str = ""
    known_party: bool = True
    notes: tuple[str, ...] = ()
    agi_events: tuple[AgiEvent, ...] = ()
    agi_ignored: tuple[Ignored, ...] = ()
    clauses_off: tuple[str, ...] = field(default=())

    @property
    def decision(self) -> str:
        return "allow" if self.allowed else "deny"

    @property
    def clause(self) -> str | None:
        """The clause that decided (the first rule's), None for the owner rule or a default
        deny."""
        return self.decided_by[0].clause if self.decided_by else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "party": self.party,
            "artifact": self.artifact,
            "action": self.action,
            "at": self.day.isoformat(),
            "clause": self.clause,
            "decided_by": [r.to_dict() for r in self.decided_by],
            "reason": self.reason,
            "notes": list(self.notes),
            "known_party": self.known_party,
            "policy_sha256": self.policy_sha256,
            "entities_sha256": self.entities_sha256,
            "scenario": self.scenario_id,
            "without": list(self.clauses_off),
            "agi_events": [e.to_dict() for e in self.agi_events],
            "agi_events_ignored": [i.to_dict() for i in self.agi_ignored],
        }


def default_action(scenario: Scenario, artifact: str) -> str:
    """``read-roadmap`` for a roadmap artifact, else ``use``."""
    try:
        kind = scenario.artifact(artifact).kind
    except KeyError:
        return "use"
    return "read-roadmap" if kind == ArtifactKind.roadmap else "use"


def _check_request(scenario: Scenario, artifact: str, action: str) -> None:
    if action not in ACTIONS:
        raise InputError(
            Problem(
                f"unknown action '{action}'",
                path="action",
                expected=" or ".join(ACTIONS),
                hint=did_you_mean(action, ACTIONS),
            )
        )
    ids = [a.id for a in scenario.artifacts]
    if artifact not in ids:
        raise InputError(
            Problem(
                f"unknown artifact '{artifact}' in scenario '{scenario.id}'",
                path="artifact",
                expected="the id of an artifact of the scenario's `artifacts`",
                hint=did_you_mean(artifact, ids) if ids else "the scenario lists no artifacts",
            )
        )


def evaluate(
    policy: CompiledPolicy, scenario: Scenario, requests: Iterable[tuple[str, str, str]]
) -> list[tuple[bool, tuple[Rule, ...]]]:
    """Cedar's answers for (party, artifact, action) requests under ``policy``: allowed, and
    the rules that determined it (forbids first, in policy order). A policy error (a rule
    that could not be evaluated) is an :class:`InternalError`: the compiler made a policy
    that does not type-check."""
    import cedarpy

    reqs = [
        {
            "principal": {"type": PARTY, "id": p},
            "action": {"type": f"{NAMESPACE}::Action", "id": act},
            "resource": {"type": ARTIFACT, "id": a},
            "context": {},
        }
        for p, a, act in requests
    ]
    if not reqs:
        return []
    policies = cedarpy.PolicySet.from_str(policy.text)
    ents = cedarpy.Entities.from_json_str(_json(entities(scenario)))
    out = []
    for res in cedarpy.is_authorized_batch(reqs, policies, ents):
        if res.diagnostics.errors:
            raise InternalError(f"Cedar policy error: {res.diagnostics.errors}")
        rules = sorted(
            (policy.rule(pid) for pid in res.diagnostics.reasons),
            key=lambda r: policy.rules.index(r),
        )
        out.append((res.allowed, tuple(rules)))
    return out


def validate(policy: CompiledPolicy) -> list[str]:
    """Cedar's strict validation of the policy text against :data:`SCHEMA`: the problems
    (none: every rule type-checks)."""
    import cedarpy

    result = cedarpy.validate_policies(policy.text, SCHEMA)
    return [str(e) for e in result.errors]


def _json(data: Any) -> str:
    import json

    return json.dumps(data)


def check(
    scenario: Scenario,
    party: str,
    artifact: str,
    *,
    action: str | None = None,
    day: date | None = None,
    clauses_off: Iterable[str] = (),
    events: Iterable[AgiEvent] = (),
) -> AccessDecision:
    """May ``party`` do ``action`` (default: :func:`default_action`) on ``artifact`` on ``day``
    (default: the scenario's ``as_of``)? ``scenario``: with ``--without`` agreements voided
    (:func:`stargate.contracts.resolve_without`); ``clauses_off``: clause ids switched off;
    ``events``: AGI events recorded in the ledger (:func:`~stargate.governance.agi.
    events_from_entries`), applied by the one rule of :mod:`stargate.governance.agi`."""
    day = day or scenario.as_of
    action = action or default_action(scenario, artifact)
    _check_request(scenario, artifact, action)
    off = tuple(sorted(set(clauses_off)))
    applied = apply_events(scenario, events)
    scn = applied.scenario
    policy = compile_policy(scn, day, clauses_off=off)
    ((allowed, rules),) = evaluate(policy, scn, [(party, artifact, action)])
    known = any(p.id == party for p in scn.parties)
    notes: list[str] = []
    if allowed:
        reason = f"permitted by {rules[0].id}: {rules[0].says}"
    elif rules:
        reason = f"forbidden by {rules[0].id}: {rules[0].says}"
    elif not known:
        reason = f"denied: '{party}' is not a party of scenario '{scn.id}'"
        hint = did_you_mean(party, [p.id for p in scn.parties], list_valid=False)
        if hint:
            notes.append(hint)
    else:
        reason = (
            f"denied by default: no clause in force on {day.isoformat()} grants {party} "
            f"{action} on {artifact}"
        )
        notes = _why_not(scn, party, artifact, action, day, frozenset(off))
    return AccessDecision(
        party=party,
        artifact=artifact,
        action=action,
        day=day,
        allowed=allowed,
        decided_by=rules,
        reason=reason,
        policy_sha256=policy.sha256,
        scenario_id=scn.id,
        entities_sha256=entities_sha256(scn),
        known_party=known,
        notes=tuple(notes),
        agi_events=applied.counted,
        agi_ignored=applied.ignored,
        clauses_off=off,
    )


def _why_not(
    scenario: Scenario, party: str, artifact: str, action: str, day: date, off: frozenset[str]
) -> list[str]:
    """The clauses that could grant the request, and why each does not on ``day``."""
    art = scenario.artifact(artifact)
    out = []
    for contract, cl in scenario.clauses():
        could = False
        if action == "use" and isinstance(cl, IpRights):
            texts = [cl, *(cl.amended(a) for a in cl.amendments if a.action == "modify")]
            could = any(
                isinstance(t, IpRights)
                and t.grantee == party
                and t.grantor == art.owner
                and art.kind in t.artifact_kinds
                for t in texts
            )
        elif action == "read-roadmap" and isinstance(cl, Investment):
            could = cl.investor == party and cl.investee == art.owner
        if not could:
            continue
        if cl.id in off:
            out.append(f"{cl.id}: switched off (--without)")
            continue
        st = clause_state(contract.id, cl, day)
        if st.in_force:
            version = st.version
            if isinstance(version, IpRights) and art.kind not in version.artifact_kinds:
                kinds = ", ".join(version.artifact_kinds)
                out.append(f"{cl.id}: in force, but covers {kinds} only (as amended)")
        else:
            out.append(f"{cl.id}: {st.status.replace('_', ' ')}, {st.reason}")
    if action == "read-roadmap" and art.kind != ArtifactKind.roadmap:
        out.append(f"'{artifact}' is {art.kind}, not a roadmap: the action is use")
    if action == "use" and art.kind == ArtifactKind.roadmap:
        out.append(f"'{artifact}' is a roadmap: the action is read-roadmap")
    return out
