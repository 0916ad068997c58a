"""The contract-aware broker (issue #3): places a request for compute where the clauses in
force allow and it is cheapest or fastest, and explains which clause decided."""
