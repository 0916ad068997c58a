"""`stargate ledger …`: keys, checkpoints, verification, proofs and listings of the ledger
(docs/ledger.md). A thin layer over :mod:`stargate.ledger`.

Every command that touches a database takes ``--db URL`` (else ``$STARGATE_DATABASE_URL``,
else the default SQLite file in the user's data directory). ``verify`` exits 3 when it finds
tampering, 2 for bad input (an unreachable database, a corrupt or foreign-signed checkpoint).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from stargate.cli.common import err, out, print_json, run_guarded
from stargate.cli.options import StargateTyper, examples, parse_moment
from stargate.errors import InputError, Problem

ledger_app = StargateTyper(
    help="The append-only ledger: keys, signed checkpoints, verify, proofs, entries.",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="The ledger database (a SQLAlchemy URL: sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST/DB). Default: $STARGATE_DATABASE_URL, else "
        "ledger.sqlite3 in the user's data directory.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="Write the note to FILE (replaced atomically) instead of printing it.",
        show_default=False,
    ),
]

_PARTY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory (an existing
    file is replaced whole or not at all)."""
    if not path.parent.is_dir():
        raise InputError(Problem(f"no directory {path.parent}", path="--out"))
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(Problem(f"cannot write {path}: {exc.strerror}", path="--out")) from None


def _emit(text: str, dest: Path | None) -> None:
    if dest is None:
        typer.echo(text, nl=False)
    else:
        _write_atomic(dest, text)
        err.print(f"wrote {dest}", markup=False)


@ledger_app.command(
    "keygen",
    epilog=examples(
        "stargate ledger keygen --party openai --out keys",
        "stargate ledger keygen --party 'bad name' --out keys   # exit 2",
    ),
)
def keygen(
    party: Annotated[
        str,
        typer.Option(
            "--party",
            metavar="P",
            help="The party's key name (letters, digits, '.', '_', '-'): the name its "
            "signatures carry.",
        ),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Directory for P.key (the private key, mode 0600) and P.pub (the verifier key "
            "line others put in their --trusted-keys file). Existing keys are never replaced.",
        ),
    ],
) -> None:
    """Make an Ed25519 key pair for a party: DIR/P.key (private) and DIR/P.pub (public)."""
    from stargate.ledger.checkpoint import generate

    def body() -> None:
        if not _PARTY.match(party):
            raise InputError(
                Problem(
                    f"not a party key name: {party!r}",
                    path="--party",
                    expected="letters, digits, '.', '_' or '-', starting with a letter or digit",
                )
            )
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError(Problem(f"{out_dir} is not a directory", path="--out"))
        key_path, pub_path = out_dir / f"{party}.key", out_dir / f"{party}.pub"
        for p in (key_path, pub_path):
            if p.exists():
                raise InputError(
                    Problem(
                        f"{p} exists: a key is never replaced",
                        path="--out",
                        hint="remove it yourself, or choose another --out",
                    )
                )
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                Problem(f"cannot make {out_dir}: {exc.strerror}", path="--out")
            ) from None
        signer = generate(party)
        _write_atomic(key_path, signer.text() + "\n", mode=0o600)
        os.chmod(key_path, 0o600)
        _write_atomic(pub_path, signer.verifier().text() + "\n")
        out.print(f"private key: {key_path} (mode 0600; keep it secret)", markup=False)
        out.print(f"public key:  {pub_path}", markup=False)
        out.print(signer.verifier().text(), markup=False)

    run_guarded(body)


@ledger_app.command(
    "checkpoint",
    epilog=examples(
        "stargate ledger checkpoint --db sqlite://",
        "stargate ledger checkpoint --key keys/openai.key --out ledger.checkpoint",
        "stargate ledger checkpoint --db nosuch://x   # exit 2",
    ),
)
def checkpoint_command(
    key: Annotated[
        list[Path] | None,
        typer.Option(
            "--key",
            metavar="FILE",
            help="Sign with this private key (a .key file of keygen); repeatable. Without "
            "it the checkpoint is unsigned (a warning says so).",
        ),
    ] = None,
    db: DbOpt = None,
    dest: OutOpt = None,
) -> None:
    """Print a checkpoint of the ledger's current tree (origin, size, root, time), signed."""
    from stargate.ledger import open_ledger
    from stargate.ledger.checkpoint import load_signer

    def body() -> None:
        signers = [load_signer(p) for p in key or []]
        with open_ledger(db) as led:
            cp = led.checkpoint(signers)
        if not signers:
            err.print("warning: unsigned checkpoint (give --key FILE to sign it)", markup=False)
        _emit(cp.note(), dest)

    run_guarded(body)


@ledger_app.command(
    "cosign",
    epilog=examples(
        "stargate ledger cosign ledger.checkpoint --key keys/microsoft.key "
        "--trusted-keys trusted.pub --db sqlite:///ledger.sqlite3 --out ledger.checkpoint",
        "stargate ledger cosign nosuch.checkpoint --key keys/microsoft.key   # exit 2",
    ),
)
def cosign(
    checkpoint_file: Annotated[
        Path,
        typer.Argument(
            metavar="CHECKPOINT_FILE", help="The checkpoint note to add a signature to."
        ),
    ],
    key: Annotated[
        Path,
        typer.Option("--key", metavar="FILE", help="The cosigning party's private key."),
    ],
    trusted_keys: Annotated[
        Path | None,
        typer.Option(
            "--trusted-keys",
            metavar="FILE",
            help="Check the signatures it already carries against these keys first (one "
            "verifier key per line).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Also check that the checkpoint is this ledger's tree at its size before "
            "signing (what a cosigner should do). Default: $STARGATE_DATABASE_URL if set.",
            show_default=False,
        ),
    ] = None,
    dest: OutOpt = None,
) -> None:
    """Add a party's signature to a checkpoint, after checking the note."""
    from stargate.ledger import open_ledger
    from stargate.ledger.checkpoint import check_signatures, load, load_signer, load_trusted_keys
    from stargate.ledger.store import ENV_URL

    def body() -> None:
        cp = load(checkpoint_file)
        signer = load_signer(key)
        if trusted_keys is not None:
            for c in check_signatures(cp, load_trusted_keys(trusted_keys)):
                err.print(f"carries {c.name} ({c.key_id}): {c.status}", markup=False)
        url = db or os.environ.get(ENV_URL) or None
        if url is not None:
            with open_ledger(url) as led:
                if cp.origin != led.origin or cp.size > led.size() or led.root(cp.size) != cp.root:
                    raise InputError(
                        Problem(
                            f"{checkpoint_file}: not a tree head of the ledger at {led.url} "
                            f"(origin {cp.origin}, size {cp.size}); not signed",
                            path="CHECKPOINT_FILE",
                            hint="run `stargate ledger verify` with it",
                        )
                    )
        _emit(cp.signed([signer]).note(), dest)

    run_guarded(body)


@ledger_app.command(
    "verify",
    epilog=examples(
        "stargate ledger verify --db sqlite://",
        "stargate ledger verify --checkpoint ledger.checkpoint --trusted-keys trusted.pub",
        "stargate ledger verify --db sqlite:// --checkpoint nosuch.checkpoint   # exit 2",
    ),
)
def verify(
    db: DbOpt = None,
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="A checkpoint kept outside the database: its root must be the ledger's root "
            "at its size (catches a rewrite with fresh hashes, and a cut tail).",
        ),
    ] = None,
    trusted_keys: Annotated[
        Path | None,
        typer.Option(
            "--trusted-keys",
            metavar="FILE",
            help="The public keys to check the checkpoint's signatures with (one verifier "
            "key per line; never keys from the database). Without it signatures are not "
            "checked (said so).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every entry's hash and check order and checkpoint; name the first bad
    entry. Exit 0 intact, 3 tampering found, 2 bad input."""
    from stargate.ledger import open_ledger
    from stargate.ledger.checkpoint import load, load_trusted_keys

    def body() -> None:
        cp = load(checkpoint_file) if checkpoint_file is not None else None
        keys = load_trusted_keys(trusted_keys) if trusted_keys is not None else None
        if keys is not None and cp is None:
            raise InputError(
                Problem(
                    "--trusted-keys checks a checkpoint: give --checkpoint FILE too",
                    path="--trusted-keys",
                )
            )
        with open_ledger(db) as led:
            report = led.verify(cp, keys)
        if as_json:
            print_json(report.to_dict())
        else:
            for line in report.render():
                (out if report.ok else err).print(line, markup=False)
        if not report.ok:
            raise typer.Exit(report.exit_code)

    run_guarded(body)


@ledger_app.command(
    "prove",
    epilog=examples(
        "stargate ledger prove e-000000000042 --db sqlite:///ledger.sqlite3 --json",
        "stargate ledger prove e-000000000000 --db sqlite://   # exit 2",
    ),
)
def prove(
    entry: Annotated[
        str, typer.Argument(metavar="ENTRY_ID", help="The entry's id, e.g. e-000000000042.")
    ],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print an inclusion proof of an entry in the current tree, verified (RFC 9162)."""
    from stargate.errors import InternalError
    from stargate.ledger import open_ledger

    def body() -> None:
        with open_ledger(db) as led:
            proof = led.prove(entry.strip())
        if not proof.verify():
            raise InternalError(f"the inclusion proof of {entry} does not verify")
        if as_json:
            print_json(proof.to_dict())
            return
        out.print(
            f"entry {proof.entry_id}: leaf {proof.leaf_index} of {proof.tree_size}", markup=False
        )
        out.print(f"leaf hash {proof.leaf_hash.hex()}", markup=False)
        for i, p in enumerate(proof.path):
            out.print(f"path[{i}]  {p.hex()}", markup=False)
        out.print(f"root      {proof.root.hex()}", markup=False)
        out.print("verified (RFC 9162 §2.1.3.2)", markup=False)

    run_guarded(body)


@ledger_app.command(
    "entries",
    epilog=examples(
        "stargate ledger entries --db sqlite://",
        "stargate ledger entries --kind charge --since 2026-01-01 --run sim-42 --json",
        "stargate ledger entries --kind charges --db sqlite://   # exit 2",
    ),
)
def entries_command(
    kind: Annotated[
        str | None,
        typer.Option("--kind", metavar="K", help="Only entries of this kind (see docs/ledger.md)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="T",
            help="Only entries whose world time is at or after T (an ISO date or datetime, UTC).",
        ),
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", metavar="RUN", help="Only the entries of this run id.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", min=1, help="At most N entries.")
    ] = None,
    as_json: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """List entries in order (seq, id, kind, actor, world time, run, amount)."""
    from stargate.errors import did_you_mean
    from stargate.ledger import KINDS, open_ledger

    def body() -> None:
        if kind is not None and kind not in KINDS:
            raise InputError(
                Problem(f"unknown kind '{kind}'", path="--kind", hint=did_you_mean(kind, KINDS))
            )
        moment = parse_moment(since, "--since")
        with open_ledger(db) as led:
            rows = list(led.entries(kind=kind, since=moment, run_id=run, limit=limit))
        if as_json:
            print_json([e.to_dict() for e in rows])
            return
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for col in ("seq", "id", "kind", "actor", "world time", "run", "amount_usd"):
            table.add_column(col, justify="right" if col in ("seq", "amount_usd") else "left")
        for e in rows:
            amount = e.body.get("amount_usd")
            table.add_row(
                str(e.seq),
                e.id,
                e.kind,
                e.actor,
                e.world_time.isoformat(),
                e.run_id or "",
                "" if amount is None else str(amount),
            )
        out.print(table)
        out.print(f"{len(rows)} entries", markup=False)

    run_guarded(body)
