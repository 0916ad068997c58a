"""A direct transcription of RFC 9162 §2.1's recursive definitions, the reference the efficient
implementation (stargate.ledger.merkle) is tested against. Deliberately naive: it recomputes
every subtree from the leaf data, exactly as the RFC writes it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def HASH(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def MTH(D: Sequence[bytes]) -> bytes:
    """MTH({}) = SHA-256(); MTH({d(0)}) = SHA-256(0x00 || d(0)); MTH(D[n]) =
    SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    n = len(D)
    if n == 0:
        return HASH(b"")
    if n == 1:
        return HASH(b"\x00" + D[0])
    k = k_of(n)
    return HASH(b"\x01" + MTH(D[0:k]) + MTH(D[k:n]))


def PATH(m: int, D: Sequence[bytes]) -> list[bytes]:
    """PATH(0, {d(0)}) = {}; for m < k: PATH(m, D[0:k]) : MTH(D[k:n]); for m >= k:
    PATH(m - k, D[k:n]) : MTH(D[0:k])."""
    n = len(D)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return [*PATH(m, D[0:k]), MTH(D[k:n])]
    return [*PATH(m - k, D[k:n]), MTH(D[0:k])]


def PROOF(m: int, D: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), 0 < m < n."""
    return SUBPROOF(m, D, True)


def SUBPROOF(m: int, D: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(D)
    if m == n:
        return [] if b else [MTH(D)]
    k = k_of(n)
    if m <= k:
        return [*SUBPROOF(m, D[0:k], b), MTH(D[k:n])]
    return [*SUBPROOF(m - k, D[k:n], False), MTH(D[0:k])]
