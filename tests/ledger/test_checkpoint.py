"""Checkpoints: the signed-note form, key ids, cosigning, and every way a note is refused."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

import pytest

from stargate.errors import InputError
from stargate.ledger import checkpoint as cp
from stargate.ledger.merkle import EMPTY_ROOT

ROOT = hashlib.sha256(b"root").digest()


def make(size: int = 7) -> cp.Checkpoint:
    return cp.Checkpoint.of("stargate.ledger/x", size, ROOT, datetime(2026, 1, 2, 3, 4, 5, 6))


def test_note_form_and_key_id() -> None:
    a = cp.generate("openai")
    note = make().signed([a]).note()
    text, _, sigs = note.partition("\n\n")
    assert text.split("\n") == [
        "stargate.ledger/x",
        "7",
        base64.b64encode(ROOT).decode(),
        "time 2026-01-02T03:04:05Z",
    ]
    line = sigs.rstrip("\n")
    assert line.startswith("\u2014 openai ")
    raw = base64.b64decode(line.split(" ")[2])
    pub = a.verifier().public_key
    assert raw[:4] == hashlib.sha256(b"openai\n\x01" + pub).digest()[:4]
    assert a.verifier().verifies((text + "\n").encode(), raw[4:])


def test_parse_round_trips_and_cosigns() -> None:
    a, b = cp.generate("openai"), cp.generate("microsoft")
    note = make().signed([a]).note()
    parsed = cp.parse(note)
    assert parsed == make().signed([a])
    both = parsed.signed([b, a])  # a second signature by a: ignored
    assert [s.name for s in both.signatures] == ["openai", "microsoft"]
    checks = cp.check_signatures(cp.parse(both.note()), [a.verifier(), b.verifier()])
    assert [(c.name, c.status) for c in checks] == [
        ("openai", "verified"),
        ("microsoft", "verified"),
    ]
    only_b = cp.check_signatures(both, [b.verifier()])
    assert [c.status for c in only_b] == ["untrusted", "verified"]


def test_keys_round_trip() -> None:
    a = cp.generate("ops.example")
    assert cp.parse_signer(a.text()) == a
    assert cp.parse_verifier(a.verifier().text()) == a.verifier()


def test_foreign_signed_is_refused() -> None:
    a, mallory = cp.generate("openai"), cp.generate("openai")  # same name, other key
    note = make().signed([mallory])
    with pytest.raises(InputError, match="no signature by a trusted key"):
        cp.check_signatures(note, [a.verifier()])
    with pytest.raises(InputError, match="no signature by a trusted key"):
        cp.check_signatures(make(), [a.verifier()])  # unsigned


def test_a_trusted_signature_that_fails_refuses_the_note() -> None:
    a = cp.generate("openai")
    good = make().signed([a])
    forged = cp.Checkpoint("stargate.ledger/x", 8, ROOT, good.time, (), good.signatures)
    with pytest.raises(InputError, match="does not verify"):
        cp.check_signatures(forged, [a.verifier()])


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda t: t.replace("\n7\n", "\n07\n"), "tree size"),
        (lambda t: t.replace("\n7\n", "\nseven\n"), "tree size"),
        (lambda t: t.rstrip("\n"), "end with a newline"),
        (lambda t: t.replace("stargate.ledger/x", "", 1), "empty origin"),
        (lambda t: t.replace("time 2026-01-02T03:04:05Z", "time yesterday"), "time line"),
        (lambda t: t.replace("\u2014 openai", "- openai"), "signature line"),
        (lambda t: t.replace("\n\n", "\n\n\n"), "signature line"),
        (lambda t: "a\tb\n" + t, "control characters"),
        (lambda t: t.replace(base64.b64encode(ROOT).decode(), "AAAA"), "32 bytes"),
        (lambda t: t.replace(base64.b64encode(ROOT).decode(), "!!"), "not base64"),
        (lambda t: t.split("\n")[0] + "\n", "fewer than three"),
    ],
)
def test_corrupt_notes(mutate: object, match: str) -> None:
    a = cp.generate("openai")
    text = make().signed([a]).note()
    assert callable(mutate)
    with pytest.raises(InputError, match=match):
        cp.parse(mutate(text))


def test_bad_keys() -> None:
    a = cp.generate("openai")
    with pytest.raises(InputError, match="not a verifier key"):
        cp.parse_verifier("openai")
    name, _kid, b64 = a.verifier().text().split("+", 2)
    with pytest.raises(InputError, match="does not match"):
        cp.parse_verifier(f"{name}+00000000+{b64}")
    with pytest.raises(InputError, match="not a private key"):
        cp.parse_signer(a.verifier().text())
    with pytest.raises(InputError, match="key name"):
        cp.generate("two words")


def test_empty_tree_checkpoint() -> None:
    note = cp.Checkpoint.of("o", 0, EMPTY_ROOT, datetime(2026, 1, 1)).note()
    assert cp.parse(note).size == 0
