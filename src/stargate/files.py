"""Opening input files and checking output places, the same way for every command.

Every reader of a user's file (scenario, CSV table, request file, trace, fleet, overrides)
goes through :func:`read_input`: it refuses what is not a regular file (a FIFO, ``/dev/zero``,
a socket, a folder) and what is over the size limit *before* reading a byte, so no input can
hang a command or fill memory. Every command that writes (``--out``) calls
:func:`check_output_dir` before it starts its work, so a bad output place fails at once with
exit code 2 instead of after a whole simulation or plan.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from stargate.errors import InputError, Problem

#: The largest input file read whole: 64 MiB (larger tables belong in CSV files or Parquet).
MAX_INPUT_BYTES = 64 * 1024 * 1024


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def input_problem(
    path: str | Path, what: str, max_bytes: int = MAX_INPUT_BYTES, hint: str | None = None
) -> Problem | None:
    """Why ``path`` cannot be read as ``what`` (missing, not a regular file, too large), or
    None when it can. Looks only at the file's metadata: nothing is opened."""
    label = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Problem("file not found", file=label, expected=what, hint=hint)
    except OSError as exc:
        return Problem(f"cannot read the file: {exc.strerror or exc}", file=label, expected=what)
    if not stat.S_ISREG(st.st_mode):
        return Problem(
            f"{_kind(st.st_mode)}, not a file", file=label, expected=f"{what} (a regular file)"
        )
    if st.st_size > max_bytes:
        return Problem(
            f"file is too large to be {what}",
            file=label,
            expected=f"at most {max_bytes // (1024 * 1024)} MiB ({max_bytes:,} bytes)",
            found=f"{st.st_size:,} bytes",
        )
    return None


def read_input(
    path: str | Path, what: str, max_bytes: int = MAX_INPUT_BYTES, hint: str | None = None
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; :class:`InputError` otherwise.

    The size is checked before reading and again while reading (a file that grows, or a
    ``/proc`` file that reports size 0, cannot make the read unbounded)."""
    problem = input_problem(path, what, max_bytes, hint)
    if problem is not None:
        raise InputError(problem)
    label = str(path)
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(
            Problem(f"cannot read the file: {exc.strerror or exc}", file=label, expected=what)
        ) from None
    if len(data) > max_bytes:
        raise InputError(
            Problem(
                f"file is too large to be {what}",
                file=label,
                expected=f"at most {max_bytes // (1024 * 1024)} MiB",
                found="more than that (the file grew while being read)",
            )
        )
    return data


def check_output_dir(path: str | Path, option: str = "--out") -> Path:
    """Make sure, before any work, that ``path`` is a folder results can be written into.

    The folder is created if missing (with its parents) and probed with a temporary file, so
    an existing file, a path under a file, a read-only or otherwise unwritable place fails at
    once with :class:`InputError` (exit code 2). Returns the path."""
    out = Path(path)
    label = str(out)
    if out.exists() and not out.is_dir():
        raise InputError(
            Problem(
                f"{option} names an existing file, not a folder",
                file=label,
                expected="a folder to write results into (it is created if missing)",
            )
        )
    blocker = next((p for p in out.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise InputError(
            Problem(
                f"{option} is under a file, not a folder", file=label, found=f"{blocker} is a file"
            )
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".stargate-probe-"):
            pass
    except OSError as exc:
        raise InputError(
            Problem(
                f"{option}: cannot write into this folder: {exc.strerror or exc}",
                file=label,
                expected="a writable folder",
            )
        ) from None
    return out
