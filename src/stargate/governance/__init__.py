"""Governance as policy: who may use which artifact, under the clauses in force on a day
(docs/governance.md).

The ``ip_rights``, ``agi_clause``, ``investment`` and ``information_rights`` clauses are
compiled into a Cedar policy set (:func:`compile_policy`; default deny, forbid overrides
permit), generated from the scenario and named by its SHA-256 in every decision
(:func:`check`). The AGI path is a sequence of ledger events (:mod:`stargate.governance.agi`):
a declaration by the party the clause names, then a verification where the clause requires
one; recorded events extend the scenario's own dates by one rule.

::

    from stargate.governance import check
    d = check(scenario, "microsoft", "gpt-5", day=date(2026, 1, 1))
    d.allowed, d.clause, d.policy_sha256
"""

from __future__ import annotations

from stargate.governance.access import AccessDecision, check, default_action, evaluate, validate
from stargate.governance.agi import (
    ENTRY_KINDS,
    AgiEvent,
    Applied,
    Ignored,
    PlannedEvent,
    apply_events,
    events_from_entries,
    plan_event,
)
from stargate.governance.policy import (
    ACTIONS,
    SCHEMA,
    CompiledPolicy,
    Rule,
    compile_policy,
    day_number,
    entities,
    entities_sha256,
)

__all__ = [
    "ACTIONS",
    "ENTRY_KINDS",
    "SCHEMA",
    "AccessDecision",
    "AgiEvent",
    "Applied",
    "CompiledPolicy",
    "Ignored",
    "PlannedEvent",
    "Rule",
    "apply_events",
    "check",
    "compile_policy",
    "day_number",
    "default_action",
    "entities",
    "entities_sha256",
    "evaluate",
    "events_from_entries",
    "plan_event",
    "validate",
]
