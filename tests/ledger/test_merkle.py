"""The Merkle tree against the RFC's recursive definitions (tests/ledger/rfc_reference.py) and
against published Certificate Transparency test vectors (tests/data/ledger/ct-vectors.json):
roots, inclusion and consistency proofs, and every mutated proof failing."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.ledger import merkle
from tests.ledger import rfc_reference as ref

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "ledger" / "ct-vectors.json").read_text()
)
H = bytes.fromhex
CT_LEAVES = [H(x) for x in VECTORS["leaf_inputs_hex"]]


def data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() * (i % 3) for i in range(n)]


@cache
def tree(n: int) -> tuple[list[bytes], merkle.Levels]:
    d = data(n)
    return d, merkle.Levels(merkle.leaf_hash(x) for x in d)


def mutations(proof: list[bytes]) -> list[list[bytes]]:
    """Every way of spoiling a proof: one bit flipped in each element, an element dropped,
    added, duplicated, two swapped."""
    out: list[list[bytes]] = []
    for i, p in enumerate(proof):
        out.append([*proof[:i], bytes([p[0] ^ 1]) + p[1:], *proof[i + 1 :]])
        out.append(proof[:i] + proof[i + 1 :])
        out.append([*proof[:i], p, *proof[i:]])
    out.append([*proof, merkle.EMPTY_ROOT])
    out.append([merkle.EMPTY_ROOT, *proof])
    for i in range(len(proof) - 1):
        if proof[i] != proof[i + 1]:
            out.append([*proof[:i], proof[i + 1], proof[i], *proof[i + 2 :]])
    return out


# --------------------------------------------------------------------------- vectors


def test_ct_hash_vectors() -> None:
    leaf, node = VECTORS["hashes"]
    assert merkle.leaf_hash(leaf["input"].encode()).hex() == leaf["hash"]
    assert merkle.node_hash(node["left"].encode(), node["right"].encode()).hex() == node["hash"]
    assert merkle.EMPTY_ROOT.hex() == VECTORS["empty_root"]


def test_ct_roots_and_node_hashes() -> None:
    leaves = [merkle.leaf_hash(x) for x in CT_LEAVES]
    for n, expected in enumerate(VECTORS["roots_by_size"]):
        assert merkle.root(leaves[:n]).hex() == expected, n
        assert merkle.Levels(leaves[:n]).root().hex() == expected, n
        assert ref.MTH(CT_LEAVES[:n]).hex() == expected, n
    levels = merkle.Levels(leaves)
    for k, level in enumerate(VECTORS["node_hashes"]):
        assert [h.hex() for h in levels.levels[k]] == level


def test_ct_inclusion_vectors() -> None:
    for v in VECTORS["inclusion"]:
        n, i = v["tree_size"], v["leaf_index"]
        levels = merkle.Levels(merkle.leaf_hash(x) for x in CT_LEAVES[:n])
        path = merkle.inclusion_proof(levels, i, n)
        assert [p.hex() for p in path] == v["path"], v
        root = H(VECTORS["roots_by_size"][n])
        assert merkle.verify_inclusion(merkle.leaf_hash(CT_LEAVES[i]), i, n, path, root)
        for bad in mutations(path):
            assert not merkle.verify_inclusion(merkle.leaf_hash(CT_LEAVES[i]), i, n, bad, root)


def test_ct_consistency_vectors() -> None:
    levels = merkle.Levels(merkle.leaf_hash(x) for x in CT_LEAVES)
    roots = [H(r) for r in VECTORS["roots_by_size"]]
    for v in VECTORS["consistency"]:
        m, n = v["size1"], v["size2"]
        proof = merkle.consistency_proof(levels, m, n)
        assert [p.hex() for p in proof] == v["proof"], v
        assert merkle.verify_consistency(m, n, roots[m], roots[n], proof)
        if proof:
            for bad in mutations(proof):
                assert not merkle.verify_consistency(m, n, roots[m], roots[n], bad)
            assert not merkle.verify_consistency(m, n, roots[n], roots[m], proof)  # swapped


# --------------------------------------------------------------------------- exhaustive


@pytest.mark.parametrize("n", range(65))
def test_agrees_with_the_rfc_for_every_leaf_and_size(n: int) -> None:
    d, levels = tree(n)
    root = merkle.root(merkle.leaf_hash(x) for x in d)
    assert root == ref.MTH(d)
    assert levels.root() == root
    for i in range(n):
        path = merkle.inclusion_proof(levels, i, n)
        assert path == ref.PATH(i, d)
        leaf = merkle.leaf_hash(d[i])
        assert merkle.verify_inclusion(leaf, i, n, path, root)
        for bad in mutations(path):
            assert not merkle.verify_inclusion(leaf, i, n, bad, root)
        if n > 1:
            assert not merkle.verify_inclusion(leaf, (i + 1) % n, n, path, root)
    for m in range(1, n + 1):
        old = ref.MTH(d[:m])
        assert levels.root(m) == old
        proof = merkle.consistency_proof(levels, m, n)
        assert proof == (ref.PROOF(m, d) if m < n else [])
        assert merkle.verify_consistency(m, n, old, root, proof)
        if m < n:
            for bad in mutations(proof):
                assert not merkle.verify_consistency(m, n, old, root, bad)
            assert not merkle.verify_consistency(m, n, root, old, proof)
            assert not merkle.verify_consistency(m, n, old, old, proof)


def test_edge_cases() -> None:
    assert merkle.root([]) == merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, b"x" * 32, [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, b"x" * 32, [b"y" * 32])
    assert not merkle.verify_consistency(3, 2, b"a" * 32, b"b" * 32, [])
    assert not merkle.verify_consistency(2, 2, b"a" * 32, b"b" * 32, [])
    assert not merkle.verify_inclusion(b"a" * 32, 0, 0, [], merkle.EMPTY_ROOT)
    _, levels = tree(5)
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(levels, 5, 5)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(levels, 3, 6)


def test_levels_extend_equals_build() -> None:
    d, whole = tree(64)
    leaves = [merkle.leaf_hash(x) for x in d]
    grown = merkle.Levels()
    for chunk in (1, 2, 5, 7, 1, 16, 32):
        grown.extend(leaves[grown.size : grown.size + chunk])
        assert grown.root() == merkle.root(leaves[: grown.size])
    assert grown.levels == whole.levels
    stack = merkle.RootStack()
    for i, leaf in enumerate(leaves, start=1):
        stack.push(leaf)
        assert stack.root() == merkle.root(leaves[:i])


# --------------------------------------------------------------------------- hypothesis


@cache
def big() -> tuple[list[bytes], merkle.Levels]:
    return tree(2000)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_hypothesis_pairs_up_to_2000(pair: tuple[int, int]) -> None:
    m, n = pair
    d, levels = big()
    old, new = levels.root(m), levels.root(n)
    assert old == merkle.root(merkle.leaf_hash(x) for x in d[:m])
    proof = merkle.consistency_proof(levels, m, n)
    assert merkle.verify_consistency(m, n, old, new, proof)
    if m < n:
        assert proof == ref.PROOF(m, d[:n])
        for bad in mutations(proof):
            assert not merkle.verify_consistency(m, n, old, new, bad)
    i = m - 1
    path = merkle.inclusion_proof(levels, i, n)
    assert path == ref.PATH(i, d[:n])
    leaf = levels.levels[0][i]
    assert merkle.verify_inclusion(leaf, i, n, path, new)
    for bad in mutations(path):
        assert not merkle.verify_inclusion(leaf, i, n, bad, new)
