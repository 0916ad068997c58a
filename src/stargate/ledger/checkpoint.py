"""Signed checkpoints: the C2SP ``tlog-checkpoint`` body in a C2SP ``signed-note``, Ed25519.

A checkpoint is a few lines of text any party can keep outside the database::

    stargate.ledger/6f1c…            <- origin: this ledger (its id in ledger_meta)
    1042                             <- tree size
    q0dA…=                           <- base64 of the RFC 9162 root of the first 1042 entries
    time 2026-12-01T15:46:30Z        <- extension line: when it was made (UTC, to the second)

    — openai Ab3d…=                  <- one line per signer: em dash, space, key name, space,
    — microsoft Zq9e…=                  base64(4-byte key id ‖ 64-byte Ed25519 signature)

The signed bytes are the note text: every line above the blank line, each ending in a newline.
The key id is ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`` (0x01: Ed25519), as the
signed-note spec recommends. Keys are written in the encoding of the Go ``note`` package
(widely used with checkpoints): the verifier key ``<name>+<key id hex>+<base64(0x01 ‖ public
key)>``, the signer key ``PRIVATE+KEY+<name>+<key id hex>+<base64(0x01 ‖ 32-byte seed)>``.

Verification follows the spec: a signature whose (name, key id) matches no trusted key is
ignored (reported as untrusted); one that matches a trusted key must verify, else the whole
note is refused; a note with no verified trusted signature is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from stargate.errors import InputError, Problem

SIG_ED25519 = b"\x01"
EM_DASH = "\u2014"
TIME_PREFIX = "time "
#: Verifiers must accept at least 16 signatures (signed-note); more than this is refused.
MAX_SIGNATURES = 64


def _problem(
    message: str, where: str, expected: str | None = None, found: str | None = None
) -> InputError:
    return InputError(Problem(message, path=where, expected=expected, found=found))


def check_name(name: str, where: str = "--party") -> str:
    """A key name: non-empty, no whitespace, no '+' (signed-note)."""
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise _problem(
            f"not a key name: {name!r}",
            where,
            expected="a non-empty name without spaces or '+' (e.g. openai or example.com/ops)",
        )
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 key (signed-note)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + SIG_ED25519 + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: name, key id, Ed25519 public key (32 bytes)."""

    name: str
    key_id: bytes
    public_key: bytes

    def text(self) -> str:
        b64 = base64.b64encode(SIG_ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    def verifies(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A party's private key: name, key id, Ed25519 seed (32 bytes)."""

    name: str
    key_id: bytes
    seed: bytes = field(repr=False)

    def text(self) -> str:
        b64 = base64.b64encode(SIG_ED25519 + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{b64}"

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, _public_of(self.seed))

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _public_of(seed: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def generate(name: str) -> Signer:
    """A new Ed25519 key for the party ``name``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    check_name(name)
    seed = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return Signer(name, key_id(name, _public_of(seed)), seed)


def _b64(text: str, where: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _problem(f"{what} is not base64", where, found=repr(text[:40])) from None


def parse_verifier(text: str, where: str = "--trusted-keys") -> Verifier:
    """A verifier key line ``name+keyid+base64`` (see the module docstring)."""
    parts = text.strip().split("+", 2)  # base64 may hold '+' too
    if len(parts) != 3 or len(parts[1]) != 8:
        raise _problem(
            "not a verifier key",
            where,
            expected="NAME+KEYID+BASE64 (a .pub file of `stargate ledger keygen`)",
            found=repr(text.strip()[:60]),
        )
    name, hex_id, b64 = parts
    check_name(name, where)
    raw = _b64(b64, where, "the key")
    if len(raw) != 33 or raw[:1] != SIG_ED25519:
        raise _problem("not an Ed25519 verifier key (type 0x01, 32 bytes)", where)
    public = raw[1:]
    try:
        kid = bytes.fromhex(hex_id)
    except ValueError:
        raise _problem("the key id is not hex", where, found=hex_id) from None
    if kid != key_id(name, public):
        raise _problem(
            f"the key id {hex_id} does not match key '{name}'",
            where,
            expected=key_id(name, public).hex(),
        )
    return Verifier(name, kid, public)


def parse_signer(text: str, where: str = "--key") -> Signer:
    """A signer key line ``PRIVATE+KEY+name+keyid+base64``."""
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise _problem(
            "not a private key",
            where,
            expected="PRIVATE+KEY+NAME+KEYID+BASE64 (a .key file of `stargate ledger keygen`)",
        )
    name, hex_id, b64 = parts[2:]
    check_name(name, where)
    raw = _b64(b64, where, "the key")
    if len(raw) != 33 or raw[:1] != SIG_ED25519:
        raise _problem("not an Ed25519 private key (type 0x01, 32 bytes)", where)
    seed = raw[1:]
    kid = key_id(name, _public_of(seed))
    if hex_id != kid.hex():
        raise _problem(f"the key id {hex_id} does not match key '{name}'", where)
    return Signer(name, kid, seed)


def _read(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _problem(f"no such file: {path}", where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem(f"cannot read {path}: {exc}", where) from None


def load_signer(path: Path, where: str = "--key") -> Signer:
    return parse_signer(_read(path, where), f"{where} {path}")


def load_trusted_keys(path: Path, where: str = "--trusted-keys") -> list[Verifier]:
    """One verifier key per line; blank lines and ``#`` comments ignored. At least one."""
    keys: list[Verifier] = []
    for n, line in enumerate(_read(path, where).splitlines(), start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            keys.append(parse_verifier(text, f"{path}:{n}"))
    if not keys:
        raise _problem(f"{path}: no keys", where, expected="one NAME+KEYID+BASE64 line per key")
    return keys


# --------------------------------------------------------------------------- the note


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        b64 = base64.b64encode(self.key_id + self.signature).decode()
        return f"{EM_DASH} {self.name} {b64}\n"


@dataclass(frozen=True)
class Checkpoint:
    """A tree head (origin, size, root, time) and the signatures on its note text."""

    origin: str
    size: int
    root: bytes
    time: datetime | None
    extensions: tuple[str, ...] = ()
    signatures: tuple[Signature, ...] = ()

    @classmethod
    def of(cls, origin: str, size: int, root: bytes, time: datetime) -> Checkpoint:
        return cls(origin, size, root, time.replace(microsecond=0, tzinfo=None))

    def text(self) -> str:
        """The note text (what is signed)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        if self.time is not None:
            lines.append(TIME_PREFIX + self.time.strftime("%Y-%m-%dT%H:%M:%SZ"))
        lines.extend(self.extensions)
        return "".join(f"{line}\n" for line in lines)

    def note(self) -> str:
        """The whole signed note (text, blank line, signature lines)."""
        return self.text() + "\n" + "".join(s.line() for s in self.signatures)

    def signed(self, signers: Iterable[Signer]) -> Checkpoint:
        """This checkpoint with a signature of each signer added (one per key)."""
        message = self.text().encode("utf-8")
        sigs = list(self.signatures)
        for s in signers:
            if any(x.name == s.name and x.key_id == s.key_id for x in sigs):
                continue  # already signed by this key
            sigs.append(Signature(s.name, s.key_id, s.sign(message)))
        if len(sigs) > MAX_SIGNATURES:
            raise _problem(f"more than {MAX_SIGNATURES} signatures", "--key")
        return replace(self, signatures=tuple(sigs))


@dataclass(frozen=True)
class SignatureCheck:
    name: str
    key_id: str
    status: str  # "verified" | "untrusted" (no trusted key with this name and id)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "key_id": self.key_id, "status": self.status}


def parse(text: str, where: str = "--checkpoint") -> Checkpoint:
    """A signed checkpoint note, checked for form only (signatures: :func:`check_signatures`).
    A note with no signature lines (the output of ``checkpoint`` without ``--key``) parses."""

    def bad(message: str, expected: str | None = None, found: str | None = None) -> InputError:
        return _problem(f"corrupt checkpoint: {message}", where, expected, found)

    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise bad("control characters other than newline")
    if not text.endswith("\n"):
        raise bad("it must end with a newline")
    body, sep, sig_block = text.partition("\n\n")
    if sep:
        body += "\n"
    else:  # an unsigned checkpoint: the text alone, or the text and a trailing blank line
        body = text
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise bad("fewer than three lines", expected="origin, tree size, base64 root")
    origin, size_text, root_text, *rest = lines
    if not origin:
        raise bad("an empty origin line")
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise bad("the tree size is not a decimal number", found=repr(size_text))
    root = _b64(root_text, where, "the root hash")
    if len(root) != 32:
        raise bad("the root hash is not 32 bytes", found=str(len(root)))
    time: datetime | None = None
    extensions: list[str] = []
    for line in rest:
        if not line:
            raise bad("an empty line inside the note text")
        if line.startswith(TIME_PREFIX) and time is None:
            try:
                time = datetime.strptime(line[len(TIME_PREFIX) :], "%Y-%m-%dT%H:%M:%SZ")  # noqa: DTZ007
            except ValueError:
                raise bad("the time line is not YYYY-MM-DDTHH:MM:SSZ", found=line) from None
        else:
            extensions.append(line)
    signatures: list[Signature] = []
    for n, line in enumerate(sig_block.split("\n")[:-1] if sig_block else [], start=1):
        prefix = EM_DASH + " "
        parts = line[len(prefix) :].split(" ") if line.startswith(prefix) else []
        if len(parts) != 2:
            raise bad(f"signature line {n} is not '— NAME BASE64'", found=repr(line[:60]))
        name, b64 = parts
        check_name(name, where)
        raw = _b64(b64, where, f"signature {n}")
        if len(raw) != 4 + 64:
            raise bad(f"signature {n} is not a 4-byte key id and a 64-byte Ed25519 signature")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise bad(f"more than {MAX_SIGNATURES} signatures")
    cp = Checkpoint(origin, int(size_text), root, time, tuple(extensions), tuple(signatures))
    if cp.text() != body:
        raise bad("it is not in canonical form (re-rendering it changes its text)")
    return cp


def load(path: Path, where: str = "--checkpoint") -> Checkpoint:
    return parse(_read(path, where), f"{where} {path}")


def check_signatures(
    cp: Checkpoint, trusted: Sequence[Verifier], where: str = "--checkpoint"
) -> list[SignatureCheck]:
    """Each signature's status; an :class:`InputError` (exit 2) when a trusted key's
    signature fails (the note is forged or corrupt) or when none verifies (foreign-signed)."""
    message = cp.text().encode("utf-8")
    by_key = {(v.name, v.key_id): v for v in trusted}
    checks: list[SignatureCheck] = []
    for s in cp.signatures:
        v = by_key.get((s.name, s.key_id))
        if v is None:
            checks.append(SignatureCheck(s.name, s.key_id.hex(), "untrusted"))
            continue
        if not v.verifies(message, s.signature):
            raise _problem(
                f"the checkpoint's signature by '{s.name}' ({s.key_id.hex()}) does not verify: "
                "the note was altered or forged",
                where,
            )
        checks.append(SignatureCheck(s.name, s.key_id.hex(), "verified"))
    if not any(c.status == "verified" for c in checks):
        carried = ", ".join(f"{c.name} ({c.key_id})" for c in checks) or "no signatures"
        names = ", ".join(f"{v.name} ({v.key_id.hex()})" for v in trusted)
        raise _problem(
            "the checkpoint carries no signature by a trusted key",
            where,
            expected=f"a signature by one of {names}",
            found=carried,
        )
    return checks
