"""Contracts: which clauses are in force on a day, and what each one says, in words.

The clause *data* lives in :mod:`stargate.domain.model`; this package is the shared reading of
it that every engine uses (broker, simulator, planner, ledger), so they agree on what is in
force when.
"""

from __future__ import annotations

from stargate.contracts.state import (
    ClauseState,
    Without,
    apply_without,
    clause_state,
    clauses_in_force,
    describe,
    resolve_clause_selector,
    resolve_without,
)

__all__ = [
    "ClauseState",
    "Without",
    "apply_without",
    "clause_state",
    "clauses_in_force",
    "describe",
    "resolve_clause_selector",
    "resolve_without",
]
