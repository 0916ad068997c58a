"""The ledger: an append-only record of costs, revenue shares and access rights that cannot be
silently edited."""
