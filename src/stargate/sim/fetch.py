"""Download the public originals of the traces (``stargate trace fetch NAME``).

Each file comes from its repository at a pinned commit (raw.githubusercontent.com), is checked
against the size and SHA-256 recorded in :data:`stargate.sim.traces.catalog.TRACES`, and is written
atomically: into a temporary file beside the target, renamed over it only once verified. A
failed or interrupted download leaves no partial file. A file already present with the right
digest is not downloaded again.

The network is touched only here, through ``download(url, dest_path)``: the default uses
urllib; tests pass a function that copies local files instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from stargate.errors import InputError, Problem
from stargate.sim.traces.catalog import TraceFile, trace_info
from stargate.sim.traces.paths import default_trace_dir

#: ``download(url, dest_path)``: write the bytes at ``url`` into the file ``dest_path``.
Download = Callable[[str, Path], None]

TIMEOUT_S = 60.0


def urllib_download(url: str, dest: Path) -> None:
    """The default download: an HTTPS GET with urllib, streamed to ``dest``."""
    import shutil
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "stargate-trace-fetch"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, dest.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _matches(path: Path, f: TraceFile) -> bool:
    return path.is_file() and path.stat().st_size == f.size and sha256_of(path) == f.sha256


def fetch_trace(
    name: str,
    dest_dir: str | Path | None = None,
    *,
    download: Download | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Download every file of trace ``name`` into the data folder ``dest_dir``, as
    ``dest_dir/name/FILE`` (default folder: :func:`stargate.sim.traces.paths.default_trace_dir`,
    ``$STARGATE_DATA_DIR`` or the user data folder), and return their paths.

    Files already there with the right digest are kept. ``progress`` receives one line per
    file. An unknown name, a failed download or a file whose size or digest differs from the
    catalog raises InputError; nothing partial is left behind.
    """
    info = trace_info(name)
    fetch = download or urllib_download
    root = Path(dest_dir).expanduser() if dest_dir is not None else default_trace_dir()
    folder = root / info.name
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            Problem(f"cannot create the folder: {exc.strerror or exc}", file=str(folder))
        ) from None
    paths: list[Path] = []
    try:
        for f in info.files:
            target = folder / f.name
            if _matches(target, f):
                if progress:
                    progress(f"{target}: already present")
                paths.append(target)
                continue
            if progress:
                progress(f"{target}: downloading {f.url} ({f.size:,} bytes)")
            _fetch_file(f, target, fetch)
            paths.append(target)
    finally:
        if created and not any(folder.iterdir()):
            with contextlib.suppress(OSError):
                folder.rmdir()
    return paths


def _fetch_file(f: TraceFile, target: Path, fetch: Download) -> None:
    """Download one file to a temporary name beside ``target``, verify it, rename it."""
    import http.client  # here, not at the top: only a download needs it

    fd, tmp_name = tempfile.mkstemp(prefix=f".{f.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            fetch(f.url, tmp)
        # any failure of the network step (OSError: URLError, HTTPError, timeouts, resets, a
        # full disk; HTTPException: a broken response; ValueError: a malformed URL), translated
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise InputError(
                Problem(
                    f"download failed: {type(exc).__name__}: {exc}",
                    file=str(target),
                    path=f.url,
                    hint="check the network connection and run the command again, or download "
                    "the file by hand into that folder",
                )
            ) from None
        size = tmp.stat().st_size
        if size != f.size:
            raise InputError(
                Problem(
                    "the downloaded file has the wrong size",
                    file=str(target),
                    path=f.url,
                    expected=f"{f.size:,} bytes",
                    found=f"{size:,} bytes",
                    hint="an interrupted download or a changed file: run the command again",
                )
            )
        digest = sha256_of(tmp)
        if digest != f.sha256:
            raise InputError(
                Problem(
                    "the downloaded file has the wrong SHA-256 digest",
                    file=str(target),
                    path=f.url,
                    expected=f.sha256,
                    found=digest,
                )
            )
        tmp.chmod(0o644)  # mkstemp makes it private; a trace is ordinary data
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
