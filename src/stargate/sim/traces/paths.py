"""Where local copies of the public traces are: the data folders, searched in a fixed order.

A data folder holds one folder per trace (``alibaba-gpu-2023/openb_pod_list_default.csv``).
The folders searched, in order (:func:`trace_dirs`):

1. the folder given by the caller (``data_dir=``; the ``--data-dir`` option of the CLI);
2. ``$STARGATE_DATA_DIR``, when set;
3. the user data folder, ``$XDG_DATA_HOME/stargate/traces`` (default
   ``~/.local/share/stargate/traces``), where ``stargate trace fetch`` writes by default;
4. for a development checkout only (a ``pyproject.toml`` beside ``src/stargate``):
   ``../shared/data/traces`` next to the checkout.

Nothing is looked up relative to the current working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from stargate.errors import InputError, Problem
from stargate.sim.traces.catalog import TRACES, trace_info

#: The environment variable naming a data folder (searched after ``data_dir``, and where
#: ``stargate trace fetch`` writes when it is set).
DATA_DIR_ENV = "STARGATE_DATA_DIR"
#: Its earlier name, still read when the new one is unset (see CHANGELOG.md).
OLD_DATA_DIR_ENV = "STARGATE_TRACES"


def _env_dir() -> str | None:
    return os.environ.get(DATA_DIR_ENV) or os.environ.get(OLD_DATA_DIR_ENV) or None


# src/stargate/sim/traces/paths.py → the checkout (when this is one)
_CHECKOUT = Path(__file__).resolve().parents[4]


def user_data_dir() -> Path:
    """The user data folder of traces: ``$XDG_DATA_HOME/stargate/traces``, or
    ``~/.local/share/stargate/traces`` when ``XDG_DATA_HOME`` is unset or not absolute (as the
    XDG base-directory specification says)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "stargate" / "traces"


def default_trace_dir() -> Path:
    """Where ``stargate trace fetch`` writes by default: ``$STARGATE_DATA_DIR`` if set, else
    :func:`user_data_dir` — outside any repository, so trace files are never committed by
    accident."""
    env = _env_dir()
    return Path(env).expanduser() if env else user_data_dir()


def checkout_shared_dir() -> Path | None:
    """``../shared/data/traces`` beside a development checkout of Stargate, or None when
    Stargate runs from an installed package."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src" / "stargate").is_dir():
        return _CHECKOUT.parent / "shared" / "data" / "traces"
    return None


def trace_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """The data folders searched, in order, for local copies (see the module's docstring).
    A ``data_dir`` that exists and is not a folder is an InputError (``path="data_dir"``)."""
    candidates: list[Path] = []
    if data_dir is not None:
        given = Path(data_dir).expanduser()
        if given.exists() and not given.is_dir():
            raise InputError(
                Problem(
                    "not a folder",
                    path="data_dir",
                    file=str(given),
                    expected="a data folder: one NAME folder per trace, e.g. philly-2017/",
                )
            )
        candidates.append(given)
    env = _env_dir()
    if env:
        candidates.append(Path(env).expanduser())
    candidates.append(user_data_dir())
    shared = checkout_shared_dir()
    if shared is not None:
        candidates.append(shared)
    out: list[Path] = []
    for c in candidates:
        c = c.resolve() if c.exists() else c.absolute()
        if c not in out:
            out.append(c)
    return out


def find_local(
    trace: str, file: str | None = None, *, data_dir: str | Path | None = None
) -> Path | None:
    """The local copy of a trace's file (default: its first file), or None."""
    info = trace_info(trace)
    name = file or info.files[0].name
    for d in trace_dirs(data_dir):
        p = d / trace / name
        if p.is_file():
            return p
    return None


def default_path(trace: str, file: str, data_dir: str | Path | None = None) -> Path:
    """The local copy of ``trace``'s ``file``, or InputError saying where it looked."""
    found = find_local(trace, file, data_dir=data_dir)
    if found is not None:
        return found
    looked = ", ".join(str(d / trace) for d in trace_dirs(data_dir))
    raise InputError(
        Problem(
            f"no local copy of trace '{trace}'",
            path=trace,
            expected=f"{file} in one of: {looked}",
            hint=f"get it with `stargate trace fetch {trace}`, name the data folder that has "
            f"it (data_dir=, --data-dir DIR, or ${DATA_DIR_ENV}), or give the file: {trace}:PATH",
        )
    )


@dataclass(frozen=True)
class TraceStatus:
    """A trace of the catalog and where its local copy is (``stargate trace list``)."""

    name: str
    summary: str
    uses: tuple[str, ...]
    files: int
    local: Path | None
    citation: str
    licence: str


def list_traces(data_dir: str | Path | None = None) -> list[TraceStatus]:
    """Every trace of the catalog, sorted by name, with its local copy if one is found."""
    out = []
    for name in sorted(TRACES):
        t = TRACES[name]
        first = find_local(name, data_dir=data_dir)
        out.append(
            TraceStatus(
                name,
                t.summary,
                t.uses,
                len(t.files),
                first.parent if first else None,
                t.citation,
                t.licence,
            )
        )
    return out
