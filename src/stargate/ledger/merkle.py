"""The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2): pure functions over hashes.

* leaf hash ``SHA-256(0x00 ‖ data)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``;
* the tree head ``MTH(D[n])`` (:func:`root`), computed with an iterative stack in O(n) time and
  O(log n) memory;
* inclusion proofs (``PATH(m, D[n])``, :func:`inclusion_proof`) and consistency proofs
  (``PROOF(m, D[n])``, :func:`consistency_proof`), each in O(log n) given a :class:`Levels`
  (the hashes of every perfect, aligned subtree, built once in O(n) and extended on append);
* the RFC's verification algorithms (§2.1.3.2 and §2.1.4.2), :func:`verify_inclusion` and
  :func:`verify_consistency`, which need nothing but the proof, the sizes and the roots.

Nothing here reads storage: the ledger keeps its leaf hashes in the database and hands them in.
``tests/ledger/rfc_reference.py`` transcribes the RFC's recursive definitions; the tests check
these functions against it and against published Certificate Transparency test vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
#: MTH({}) = SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof was asked for an impossible index or size (a caller's mistake, not tampering)."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` ≥ 2): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """``MTH`` of the leaves whose hashes are given, in one pass with a stack of at most
    log2(n) + 1 perfect subtrees (the "peaks"), folded right to left at the end."""
    stack: list[bytes] = []
    h = _sha256
    for count, leaf in enumerate(leaf_hashes, start=1):
        stack.append(leaf)
        # each trailing zero bit of the new count closes one perfect subtree
        c = count
        while c & 1 == 0:
            right = stack.pop()
            stack[-1] = h(NODE_PREFIX + stack[-1] + right).digest()
            c >>= 1
    if not stack:
        return EMPTY_ROOT
    acc = stack[-1]
    for peak in reversed(stack[:-1]):
        acc = h(NODE_PREFIX + peak + acc).digest()
    return acc


class RootStack:
    """``MTH`` of a growing list of leaves: :meth:`push` one leaf hash at a time (amortised
    O(1)), :meth:`root` at any size (O(log n)). What ``verify`` uses to take the root at a
    checkpoint's size and at the end in one pass."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    def push(self, leaf: bytes) -> None:
        stack = self._stack
        stack.append(leaf)
        self.size += 1
        c = self.size
        while c & 1 == 0:
            right = stack.pop()
            stack[-1] = _sha256(NODE_PREFIX + stack[-1] + right).digest()
            c >>= 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for peak in reversed(self._stack[:-1]):
            acc = _sha256(NODE_PREFIX + peak + acc).digest()
        return acc


class Levels:
    """The hashes of the perfect, aligned subtrees of a tree: ``levels[0]`` the leaf hashes,
    ``levels[k][i]`` the hash of leaves ``[i·2^k, (i+1)·2^k)``. About 2n hashes; built in O(n)
    and extended in O(new leaves); every subtree hash a proof needs is then O(log n) away."""

    __slots__ = ("levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        leaves = self.levels[0]
        start = len(leaves)
        leaves.extend(leaf_hashes)
        level = 0
        lo = start
        h = _sha256
        while True:
            below = self.levels[level]
            if len(below) < 2:
                break
            if len(self.levels) == level + 1:
                self.levels.append([])
            above = self.levels[level + 1]
            # the pairs that are complete now and were not before: indexes from lo // 2
            first = min(lo // 2, len(above))
            del above[first:]
            for i in range(first, len(below) // 2):
                above.append(h(NODE_PREFIX + below[2 * i] + below[2 * i + 1]).digest())
            lo = first
            level += 1

    def subtree(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for a subtree of the RFC's tree of some size: ``start`` is a
        multiple of the largest power of two ≤ ``end - start``, or the range is a right edge.
        Perfect ranges are one lookup; others fold O(log n) perfect pieces."""
        n = end - start
        if n <= 0:
            raise ProofError(f"empty range [{start}, {end})")
        if end > self.size:
            raise ProofError(f"range [{start}, {end}) beyond the tree's {self.size} leaves")
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self.levels[level][start >> level]
        k = _split(n)
        return node_hash(self.subtree(start, start + k), self.subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """``MTH(D[size])`` (default: every leaf)."""
        size = self.size if size is None else size
        if size < 0 or size > self.size:
            raise ProofError(f"tree size {size} outside 0..{self.size}")
        if size == 0:
            return EMPTY_ROOT
        return self.subtree(0, size)


def inclusion_proof(levels: Levels, index: int, size: int) -> list[bytes]:
    """``PATH(index, D[size])``: the sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} outside a tree of size {size}")
    if size > levels.size:
        raise ProofError(f"tree size {size} beyond the {levels.size} leaves held")
    top_down: list[bytes] = []
    lo, n, m = 0, size, index
    while n > 1:
        k = _split(n)
        if m < k:
            top_down.append(levels.subtree(lo + k, lo + n))
            n = k
        else:
            top_down.append(levels.subtree(lo, lo + k))
            lo, n, m = lo + k, n - k, m - k
    top_down.reverse()
    return top_down


def consistency_proof(levels: Levels, old_size: int, new_size: int) -> list[bytes]:
    """``PROOF(old_size, D[new_size])`` (RFC 9162 §2.1.4.1); empty when the sizes are equal or
    the old tree is empty."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"sizes {old_size} and {new_size}: expected 0 ≤ old ≤ new")
    if new_size > levels.size:
        raise ProofError(f"tree size {new_size} beyond the {levels.size} leaves held")
    if old_size == 0 or old_size == new_size:
        return []
    top_down: list[bytes] = []
    lo, n, m, whole = 0, new_size, old_size, True
    while True:
        if m == n:
            if not whole:
                top_down.append(levels.subtree(lo, lo + n))
            break
        k = _split(n)
        if m <= k:
            top_down.append(levels.subtree(lo + k, lo + n))
            n = k
        else:
            top_down.append(levels.subtree(lo, lo + k))
            lo, n, m, whole = lo + k, n - k, m - k, False
    top_down.reverse()
    return top_down


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does ``path`` prove that ``leaf`` (a leaf hash) is leaf ``index`` of
    the tree of ``size`` whose head is ``expected_root``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show that the tree of ``old_size`` with head
    ``old_root`` is a prefix of the tree of ``new_size`` with head ``new_root``? Equal sizes
    need an empty proof and equal roots; an empty old tree is consistent with any tree (with
    an empty proof)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
