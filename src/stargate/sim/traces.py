"""Trace loaders: public cluster and LLM-inference traces as jobs, demand and fleets.

A **source spec** names what to load: ``NAME[:PATH][?key=value&key=value]`` (see
:func:`parse_source`). ``NAME`` picks a loader from a registry; ``PATH`` is the file (default:
the trace's usual file in a local copy, see :func:`trace_dirs`); the parameters go to the loader.

Workloads (:data:`WORKLOADS`, :func:`load_workload`):

* ``alibaba-gpu-2023`` — an Alibaba pod list → :class:`JobTable` (:func:`load_alibaba_jobs`)
* ``azure-llm-2023`` — Azure's LLM conversation trace → :class:`InferenceDemand`
  (:func:`load_azure_demand`)
* ``philly-2017`` — Philly's run times with Poisson arrivals → :class:`JobTable`
  (:func:`load_philly_jobs`)
* ``synthetic`` — :func:`stargate.sim.synthetic.generate` (written apart)

Fleets (:data:`FLEETS`, :func:`load_fleet`):

* ``alibaba-gpu-2023`` — the GPU node list → :class:`FleetSpec` (:func:`load_alibaba_nodes`)
* ``alibaba-spot-gpu-2026`` — the spot trace's node list (:func:`load_spot_nodes`)
* ``pool:N`` — N interchangeable accelerators of any type (:func:`pool_fleet`)

Bad input (a missing, empty or binary file, a missing column, a row that is malformed,
truncated or impossible) raises :class:`InputError` with a :class:`Problem` naming the file,
line and column. With ``skip_bad_rows=True`` bad rows are skipped and counted in
``skipped["bad_row"]``, and the first few problems are appended to the caller's ``warnings``
list: nothing is dropped silently. Only the columns a loader uses are checked. The formats,
mappings and licences are documented in docs/traces.md.

Start-up time matters (a whole ``stargate simulate`` run must stay near a second), so these
small files are read with the csv module and numpy; nothing heavy is imported here.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from stargate.domain.limits import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_ACCELERATORS,
    MAX_ACCELERATORS_PER_NODE,
    MAX_DURATION_H,
    MAX_ITEMS,
    check_count,
    check_instant,
)
from stargate.errors import InputError, Problem, did_you_mean
from stargate.files import MAX_INPUT_BYTES, input_problem
from stargate.sim.workload import (
    DEFAULT_TRAINING_CLASS,
    MAX_DEMAND_MINUTES,
    MAX_JOB_S,
    MAX_SEED,
    NUMBER_TEXT,
    FArray,
    FleetPool,
    FleetSpec,
    InferenceDemand,
    JobTable,
    Param,
    convert_params,
    hours_text,
)

#: The largest trace file read (a stream, never whole): 1 GiB, about 10 million rows of a pod
#: list; the public traces are under 1 MB.
MAX_TRACE_BYTES = 2**30
#: The largest node list: 64 MiB (a million nodes).
MAX_NODE_LIST_BYTES = MAX_INPUT_BYTES
#: The longest line of a trace file, in characters: 1 MiB.
MAX_LINE_CHARS = 2**20
#: The most tokens of one request of an inference trace (the longest contexts are ~10⁷).
MAX_TOKENS_PER_REQUEST = 10**9
#: The largest ``scale`` of ``azure-llm-2023``.
MAX_AZURE_SCALE = 1e6
#: The highest arrival rate of ``philly-2017``, jobs per hour.
MAX_RATE_PER_H = 1e9

#: Workload class of the Azure LLM inference trace.
INFERENCE_CLASS = "chatgpt-inference"
#: Problems of skipped bad rows reported one by one; the rest are summed up in one line.
MAX_WARNINGS = 5
#: Default arrival rate of ``philly-2017`` jobs (the run-time file has no arrival times).
PHILLY_DEFAULT_RATE_PER_H = 60.0

_REPO = Path(__file__).resolve().parents[3]
_SKIP_HINT = "fix the row, or pass --skip-bad-rows (skip_bad_rows=True) to skip and count it"


# --------------------------------------------------------------------------- the catalog


@dataclass(frozen=True)
class TraceFile:
    """One file of a public trace, pinned to a commit of its repository."""

    name: str
    repo: str
    commit: str
    repo_path: str
    size: int
    sha256: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.repo_path}"


@dataclass(frozen=True)
class TraceInfo:
    """A public trace: what it is, what Stargate loads it as, its files and how to cite it."""

    name: str
    summary: str
    uses: tuple[str, ...]
    files: tuple[TraceFile, ...]
    citation: str
    licence: str = "CC BY 4.0"


_ALIBABA = "alibaba/clusterdata"
_ALIBABA_COMMIT = "7a6c496e4f4b6ce6150be8f881cb051bf2abff42"
_AZURE = "Azure/AzurePublicDataset"
_AZURE_COMMIT = "b469a113cedca53ddc3bdea71a143dc4b7d8700c"


def _ali(name: str, folder: str, size: int, sha256: str) -> TraceFile:
    return TraceFile(name, _ALIBABA, _ALIBABA_COMMIT, f"{folder}/{name}", size, sha256)


_GPU23 = "cluster-trace-gpu-v2023/csv"

#: The public traces Stargate knows, by name. Sizes and SHA-256 digests are those of the files
#: at the pinned commits (the same bytes as the copies in ../shared/data/traces).
TRACES: dict[str, TraceInfo] = {
    t.name: t
    for t in (
        TraceInfo(
            "alibaba-gpu-2023",
            "Alibaba production GPU cluster, 2023: 8,152 pods (tasks) and 1,213 GPU nodes",
            ("jobs", "fleet", "packing"),
            (
                _ali(
                    "openb_pod_list_default.csv",
                    _GPU23,
                    575468,
                    "1ee7ed79c27a3b0861cda8ddba86a004c6aba904caafa329a76ae93ca63834a8",
                ),
                _ali(
                    "openb_node_list_gpu_node.csv",
                    _GPU23,
                    42353,
                    "2beca64b4d3dfa342036a34b56a495c6cef9225db836c81f541282cb1df320b5",
                ),
                _ali(
                    "openb_node_list_all_node.csv",
                    _GPU23,
                    52287,
                    "5a85c2af79c66a1efff8bbcbda430400aae56d8431370d738480967e1a9c6b15",
                ),
                _ali(
                    "openb_pod_list_multigpu20.csv",
                    _GPU23,
                    271530,
                    "d9ec6f6c74fb980cc0b81239470c6353fceea077ea9abd610003b604c7cc2b01",
                ),
                _ali(
                    "openb_pod_list_gpuspec20.csv",
                    _GPU23,
                    582612,
                    "6b9b89ab8913c1c074e994e98f548cf1a872fc5f76f2442ca8cd514a478b00a9",
                ),
                _ali(
                    "openb_pod_list_gpushare40.csv",
                    _GPU23,
                    572662,
                    "d83ce79a4eb6987524bedbb0c65e41aed3a36bf6c1b78b86234c3687a07e1d40",
                ),
            ),
            'Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with '
            'Fragmentation Gradient Descent", USENIX ATC 2023',
        ),
        TraceInfo(
            "azure-llm-2023",
            "Azure LLM inference, conversation service: 19,366 requests over one hour",
            ("inference",),
            (
                TraceFile(
                    "AzureLLMInferenceTrace_conv.csv",
                    _AZURE,
                    _AZURE_COMMIT,
                    "data/AzureLLMInferenceTrace_conv.csv",
                    719188,
                    "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8",
                ),
            ),
            'Patel et al., "Splitwise: Efficient Generative LLM Inference Using Phase '
            'Splitting", ISCA 2024',
        ),
        TraceInfo(
            "philly-2017",
            "Microsoft Philly deep-learning cluster, 2017: run times of 83,154 jobs",
            ("jobs", "runtimes"),
            (
                _ali(
                    "philly_runtime.csv",
                    "cluster-trace-gpu-v2020/analysis",
                    535725,
                    "e99015baaea66833ebeac68d27c994aa13d83847f73b4a7c7dc71fe94b395247",
                ),
            ),
            'Jeon et al., "Analysis of Large-Scale Multi-Tenant GPU Clusters for DNN Training '
            'Workloads", USENIX ATC 2019',
        ),
        TraceInfo(
            "alibaba-spot-gpu-2026",
            "Alibaba heterogeneous GPU fleet with spot jobs, 2026: 4,278 nodes",
            ("fleet",),
            (
                _ali(
                    "node_info_df.csv",
                    "cluster-trace-v2026-spot-gpu",
                    78330,
                    "1aba161961a5a4a1a61aa581383c5e5abe3400b59f8597ba8c4eef7597bc9d18",
                ),
            ),
            '"GFS: A Preemptive Scheduling Framework for GPU Clusters with Predictive Spot '
            'Management", ASPLOS 2026',
        ),
    )
}


def trace_info(name: str) -> TraceInfo:
    """The catalog entry of a trace, or InputError listing the valid names."""
    try:
        return TRACES[name]
    except KeyError:
        raise InputError(
            Problem(f"unknown trace '{name}'", hint=did_you_mean(name, TRACES))
        ) from None


# --------------------------------------------------------------------------- where copies live


def default_trace_dir() -> Path:
    """Where ``stargate trace fetch`` writes by default: ``$STARGATE_TRACES`` if set, else
    ``$XDG_CACHE_HOME/stargate/traces`` (``~/.cache/stargate/traces``) — outside any
    repository, so trace files are never committed by accident."""
    env = os.environ.get("STARGATE_TRACES")
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "stargate" / "traces"


def trace_dirs() -> list[Path]:
    """Folders searched, in order, for local copies (each holds one folder per trace):
    ``$STARGATE_TRACES``; ``../shared/data/traces`` relative to the current directory and to
    this repository; then the default download folder."""
    candidates: list[Path] = []
    env = os.environ.get("STARGATE_TRACES")
    if env:
        candidates.append(Path(env))
    candidates.append(Path.cwd().parent / "shared" / "data" / "traces")
    candidates.append(_REPO.parent / "shared" / "data" / "traces")
    candidates.append(default_trace_dir())
    out: list[Path] = []
    for c in candidates:
        c = c.resolve() if c.exists() else c.absolute()
        if c not in out:
            out.append(c)
    return out


def find_local(trace: str, file: str | None = None) -> Path | None:
    """The local copy of a trace's file (default: its first file), or None."""
    info = trace_info(trace)
    name = file or info.files[0].name
    for d in trace_dirs():
        p = d / trace / name
        if p.is_file():
            return p
    return None


def _default_path(trace: str, file: str) -> Path:
    found = find_local(trace, file)
    if found is not None:
        return found
    looked = ", ".join(str(d / trace) for d in trace_dirs())
    raise InputError(
        Problem(
            f"no local copy of trace '{trace}'",
            path=trace,
            expected=f"{file} in one of: {looked}",
            hint=f"get it with `stargate trace fetch {trace}`, or give the file: {trace}:PATH",
        )
    )


# --------------------------------------------------------------------------- source specs


class SourceSpec(NamedTuple):
    """A parsed ``NAME[:PATH][?k=v&k=v]``."""

    name: str
    path: str | None
    params: dict[str, str]


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SPEC_EXPECTED = "NAME[:PATH][?key=value&key=value], e.g. alibaba-gpu-2023:pods.csv?limit=1000"


def parse_source(spec: str) -> SourceSpec:
    """Split a source spec into its name, optional path and parameters.

    ``alibaba-gpu-2023:/data/pods.csv?limit=1000`` → ``("alibaba-gpu-2023", "/data/pods.csv",
    {"limit": "1000"})``; ``azure-llm-2023?scale=10`` → ``("azure-llm-2023", None, {"scale":
    "10"})``; ``pool:512`` → ``("pool", "512", {})``. Parameter values stay strings (each loader
    converts its own). A malformed spec raises InputError.
    """

    def bad(why: str) -> InputError:
        return InputError(Problem(f"malformed source '{spec}': {why}", expected=_SPEC_EXPECTED))

    text = spec.strip()
    if not text:
        raise bad("it is empty")
    head, qmark, query = text.partition("?")
    name, colon, path = head.partition(":")
    if not name:
        raise bad("no name before ':'")
    if not _NAME.fullmatch(name):
        raise bad(f"'{name}' is not a source name")
    if colon and not path:
        raise bad("no path after ':'")
    params: dict[str, str] = {}
    if qmark:
        if not query:
            raise bad("no parameters after '?'")
        for item in query.split("&"):
            key, eq, value = item.partition("=")
            key = key.strip()
            if not item or not eq:
                raise bad(f"parameter '{item}' has no '=value'")
            if not key:
                raise bad(f"parameter '{item}' has no name")
            if key in params:
                raise bad(f"parameter '{key}' is given twice")
            params[key] = value.strip()
    return SourceSpec(name, path if colon else None, params)


def _convert_params(
    source: str, given: Mapping[str, object], params: Mapping[str, Param]
) -> dict[str, Any]:
    return convert_params(source, given, params)


# --------------------------------------------------------------------------- reading CSV


class _Bad(Exception):
    """A bad cell: raised by the cell parsers, turned into a located Problem by the reader."""

    def __init__(self, column: str, message: str, expected: str, found: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.expected = expected
        self.found = found


class _Lines:
    """The physical lines of a trace file, read as a stream (never the whole file at once), for
    the csv module: UTF-8 decoded, a NUL byte (binary data) refused with its line, every line at
    most :data:`MAX_LINE_CHARS` long and the file at most ``max_bytes``. Lines taken back with
    :meth:`push_back` are given again first; :attr:`taken` counts the lines given."""

    def __init__(self, path: Path, what: str, max_bytes: int) -> None:
        self.file = str(path)
        self.what = what
        self.max_bytes = max_bytes
        self.taken = 0
        self.chars = 0
        self.mark: list[str] | None = None  # lines given since mark(), for push_back
        self.long_lines: list[int] = []  # lines cut at MAX_LINE_CHARS (bad rows)
        self._back: list[str] = []
        try:
            self._f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise InputError(
                Problem(f"cannot read the file: {exc.strerror or exc}", file=self.file)
            ) from None

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else self._read()
        self.taken += 1
        if self.mark is not None:
            self.mark.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        """Give ``lines`` again, in order, before reading on."""
        self._back.extend(reversed(lines))
        self.taken -= len(lines)

    def _read(self) -> str:
        try:
            line = self._f.readline(MAX_LINE_CHARS)
        except UnicodeDecodeError:
            raise self._not_utf8() from None
        except OSError as exc:
            raise InputError(
                Problem(f"cannot read the file: {exc.strerror or exc}", file=self.file)
            ) from None
        if not line:
            raise StopIteration
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            self.long_lines.append(self.taken + 1)
            while True:  # skip the rest of the line: it is one bad row
                rest = self._f.readline(MAX_LINE_CHARS)
                self.chars += len(rest)
                if not rest or rest.endswith("\n"):
                    break
            line = "\n"
        self.chars += len(line)
        if self.chars > self.max_bytes:
            raise InputError(
                Problem(
                    f"file is too large to be {self.what}",
                    file=self.file,
                    expected=f"at most {self.max_bytes // 2**20:,} MiB",
                    found="more than that (the file grew while being read)",
                )
            )
        if "\x00" in line:
            raise InputError(
                Problem(
                    "binary data, not a CSV text file",
                    file=self.file,
                    line=self.taken + 1,
                    expected=self.what,
                    found="a NUL byte",
                    hint="a compressed file (.gz, .tar)? unpack it first",
                )
            )
        return line

    def _not_utf8(self) -> InputError:
        """Where the first byte that is not UTF-8 is (read again, in binary, to say so)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = lines = 0
        with open(self.file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                nul = block.find(b"\x00")
                if nul >= 0:  # binary data (a .gz, a .tar) rather than text in a wrong code
                    return InputError(
                        Problem(
                            "binary data, not a CSV text file",
                            file=self.file,
                            line=lines + block.count(b"\n", 0, nul) + 1,
                            expected=self.what,
                            found=f"a NUL byte at offset {offset + nul}",
                            hint="a compressed file (.gz, .tar)? unpack it first",
                        )
                    )
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    where = offset + exc.start
                    lines += block.count(b"\n", 0, exc.start)
                    return InputError(
                        Problem(
                            "not UTF-8 text",
                            file=self.file,
                            line=lines + 1,
                            expected=f"{self.what} in UTF-8",
                            found=f"byte 0x{block[exc.start]:02x} at offset {where}",
                        )
                    )
                offset += len(block)
                lines += block.count(b"\n")
        return InputError(Problem("not UTF-8 text", file=self.file, expected=self.what))


class _Reader:
    """A CSV file read as a stream: header checked, rows with their line numbers, and bad rows
    either raised (the default) or counted and kept as warnings (``skip_bad_rows``).

    The file is refused before reading when it is not a regular file (a FIFO, a device, a
    folder) or larger than ``max_bytes``. A row is one line: a quoted cell that does not close
    on its line is a bad row at the line where the quote opens, and the lines after it are read
    as rows of their own (trace cells never hold line breaks)."""

    def __init__(
        self,
        path: Path,
        required: Sequence[str],
        *,
        what: str,
        skip_bad_rows: bool = False,
        warnings: list[Problem] | None = None,
        header_check: Callable[[_Reader, list[str]], None] | None = None,
        max_bytes: int = MAX_TRACE_BYTES,
    ) -> None:
        self.path = path
        self.file = str(path)
        self.skip_bad_rows = skip_bad_rows
        self.warnings = warnings
        self.bad_rows = 0
        self.rows_read = 0
        self.line = 0
        problem = input_problem(
            path,
            what,
            max_bytes,
            hint="check the path, or get the public trace with `stargate trace fetch`",
        )
        if problem is not None:
            raise InputError(problem)
        self._lines = _Lines(path, what, max_bytes)
        try:
            self._start(required, what, header_check)
        except BaseException:
            self._lines.close()
            raise

    def _start(
        self,
        required: Sequence[str],
        what: str,
        header_check: Callable[[_Reader, list[str]], None] | None,
    ) -> None:
        self._csv = csv.reader(self._lines, strict=True)
        header = self._next_row()
        while isinstance(header, list) and not any(h.strip() for h in header):
            header = self._next_row()  # blank lines before the header
        if header is None:
            raise InputError(
                Problem("empty file", file=self.file, expected=f"{what}: a header line, then rows")
            )
        if isinstance(header, Problem):
            raise InputError(header)
        self.header = [h.strip() for h in header]
        seen: set[str] = set()
        for k, h in enumerate(self.header):
            if h in seen:
                raise InputError(
                    Problem(
                        f"column '{h}' appears twice in the header",
                        file=self.file,
                        line=self.line,
                        column=k + 1,
                        path=f"{h} (column {k + 1})",
                    )
                )
            seen.add(h)
        if header_check is not None:
            header_check(self, self.header)
        missing = [c for c in required if c not in seen]
        if missing:
            raise InputError(
                [
                    Problem(
                        f"missing column '{c}' in the header",
                        file=self.file,
                        line=self.line,
                        column=list(required).index(c) + 1,
                        path=f"{c} (column {list(required).index(c) + 1})",
                        expected=f"{what} with columns {','.join(required)}",
                        found=_clip(",".join(self.header)),
                    )
                    for c in missing
                ]
            )
        self.index = {h: k for k, h in enumerate(self.header)}

    def _next_row(self) -> list[str] | Problem | None:
        """The next non-blank row (``self.line`` its line), a Problem for a row that cannot be
        read (the lines after it are read again), or None at the end of the file."""
        lines = self._lines
        while True:
            first = lines.taken + 1
            lines.mark = []
            try:
                row = next(self._csv)
                error = None
            except StopIteration:
                lines.mark = None
                lines.close()
                return None
            except csv.Error as exc:
                row, error = [], str(exc)
            taken, lines.mark = lines.mark, None
            self.line = first
            if first in lines.long_lines:
                return Problem(
                    f"line is longer than {MAX_LINE_CHARS // 1024:,} KiB: not a row of a trace",
                    file=self.file,
                    line=first,
                )
            if len(taken) > 1 or error is not None:
                # a row over several lines: a quote that opens here and does not close on
                # this line. Only this line is bad; read the lines it swallowed again.
                lines.push_back(taken[1:])
                self._csv = csv.reader(lines, strict=True)
                text = taken[0].rstrip("\r\n") if taken else ""
                col = _open_quote_column(text)
                why = "a quoted cell does not close on its line (an unterminated quote?)"
                if error is not None and len(taken) <= 1 and col is None:
                    why = f"not a valid CSV row: {error}"
                return Problem(
                    why,
                    file=self.file,
                    line=first,
                    column=col,
                    expected="cells on one line; a quote that opens a cell closes it on the "
                    "same line",
                    found=_clip(text),
                )
            if row:
                return row

    def rows(self) -> Iterator[list[str]]:
        """The data rows with as many cells as the header (the others are bad rows)."""
        n = len(self.header)
        while True:
            row = self._next_row()
            if row is None:
                return
            self.rows_read += 1
            if self.rows_read > MAX_ITEMS:
                self._lines.close()
                raise InputError(
                    Problem(
                        "too many rows",
                        file=self.file,
                        line=self.line,
                        expected=f"at most {MAX_ITEMS:,} rows in one trace file",
                    )
                )
            if isinstance(row, Problem):
                self.bad(row)
                continue
            if len(row) != n:
                self.bad(self._width_problem(row))
                continue
            yield row

    def _width_problem(self, row: list[str]) -> Problem:
        n = len(self.header)
        if len(row) < n:
            col = self.header[len(row)]
            return Problem(
                f"row has {len(row)} of {n} columns: '{col}' and after are missing "
                "(a truncated row?)",
                file=self.file,
                line=self.line,
                column=len(row) + 1,
                path=f"{col} (column {len(row) + 1})",
                expected=f"{n} columns ({','.join(self.header)})",
                found=f"{len(row)}: {_clip(','.join(row))}",
            )
        return Problem(
            f"row has {len(row)} columns, the header has {n}",
            file=self.file,
            line=self.line,
            column=n + 1,
            path=f"column {n + 1}",
            expected=f"{n} columns ({','.join(self.header)})",
            found=f"{len(row)}: {_clip(','.join(row))}",
        )

    def cell_problem(self, bad: _Bad, line: int | None = None) -> Problem:
        k = self.index[bad.column] + 1
        return Problem(
            bad.message,
            file=self.file,
            line=self.line if line is None else line,
            column=k,
            path=f"{bad.column} (column {k})",
            expected=bad.expected,
            found=bad.found,
        )

    def bad(self, problem: Problem) -> None:
        """A bad row: raise, or (skip_bad_rows) count it and keep the first few as warnings."""
        if not self.skip_bad_rows:
            raise InputError(replace(problem, hint=problem.hint or _SKIP_HINT))
        self.bad_rows += 1
        if self.warnings is not None and self.bad_rows <= MAX_WARNINGS:
            self.warnings.append(_as_warning(problem, "skipped"))

    def finish(self, skipped: dict[str, int]) -> None:
        """Record the count of skipped bad rows (and a summary warning beyond the first few)."""
        if not self.bad_rows:
            return
        skipped["bad_row"] = skipped.get("bad_row", 0) + self.bad_rows
        if self.warnings is not None and self.bad_rows > MAX_WARNINGS:
            self.warnings.append(
                Problem(
                    f"skipped {self.bad_rows - MAX_WARNINGS} more bad rows "
                    f"({self.bad_rows} in all)",
                    file=self.file,
                    severity="warning",
                )
            )


def _as_warning(p: Problem, prefix: str) -> Problem:
    return replace(p, message=f"{prefix}: {p.message}", severity="warning")


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _open_quote_column(text: str) -> int | None:
    """The column (1-based) of the cell whose quote opens and does not close on ``text``."""
    quoted = False
    column = 1
    start = None
    k = 0
    while k < len(text):
        ch = text[k]
        if quoted:
            if ch == '"':
                if k + 1 < len(text) and text[k + 1] == '"':
                    k += 1
                else:
                    quoted = False
        elif ch == ",":
            column += 1
        elif ch == '"':
            quoted, start = True, column
        k += 1
    return start if quoted else None


# --------------------------------------------------------------------------- cell parsers


_WHOLE = re.compile(r"\s*[+]?[0-9]+\s*")


def parse_count(text: str, what: str, limit: int) -> int:
    """A count written as text, exactly: digits, or a number that is exactly whole (``8.0``,
    ``1e3``), from 0 to ``limit``. ValueError, naming the limit, for anything else: never a
    silent rounding (``1.5``, ``1e23``)."""
    if _WHOLE.fullmatch(text):
        digits = text.strip().lstrip("+")
        if len(digits.lstrip("0")) > 40:
            raise ValueError(
                f"{what} of {len(digits)} digits is more than Stargate represents "
                f"(at most {limit:,})"
            )
        value = int(digits)
    else:
        x = Param(int, what).value(text)
        if x is None:
            raise ValueError(f"{what} must be a whole number, found {_clip(repr(text), 40)}")
        value = int(x)
    return check_count(value, what, limit)


def _int(row: list[str], k: int, col: str, minimum: int = 0, limit: int = MAX_ACCELERATORS) -> int:
    expected = f"a whole number from {minimum} to {limit:,}"
    try:
        value = parse_count(row[k], col, limit)
    except ValueError as exc:
        message = "not a whole number"
        if "more than Stargate represents" in str(exc):
            message = f"more than Stargate represents (at most {limit:,})"
        elif "negative" in str(exc):
            message = "below the minimum"
        raise _Bad(col, message, expected, _clip(repr(row[k]), 60)) from None
    if value < minimum:
        raise _Bad(col, "below the minimum", expected, repr(row[k]))
    return value


_TIME_EXPECTED = f"seconds from 0 to {MAX_JOB_S:,.0f} (100 years) from the start of the trace"


def _seconds(row: list[str], k: int, col: str, *, optional: bool = False) -> float | None:
    try:
        if not NUMBER_TEXT.fullmatch(row[k]):
            raise ValueError(row[k])
        value = float(row[k])  # float() ignores surrounding blanks
    except ValueError:
        if not row[k].strip():
            if optional:
                return None
            raise _Bad(col, "no time", _TIME_EXPECTED, "an empty cell") from None
        value = math.nan
    if not 0 <= value < math.inf:  # also false for NaN
        raise _Bad(col, "not a time", _TIME_EXPECTED, _clip(repr(row[k]), 60))
    if value > MAX_JOB_S:
        raise _Bad(
            col,
            f"later than Stargate represents ({hours_text(value / 3600)} h after the start of "
            f"the trace; at most {MAX_DURATION_H:,} h)",
            _TIME_EXPECTED,
            _clip(repr(row[k]), 60),
        )
    return value


def _number(row: list[str], k: int, col: str, what: str, high: float = MAX_JOB_S) -> float:
    text = row[k]
    value = float(text) if NUMBER_TEXT.fullmatch(text) else math.nan
    if 0 <= value <= high:  # false for NaN
        return value
    expected = f"{what} (a number from 0 to {high:,.0f})"
    if not 0 <= value < math.inf:
        raise _Bad(col, f"not {what}", expected, _clip(repr(text), 60))
    raise _Bad(col, f"more than Stargate represents (at most {high:,.0f})", expected, repr(text))


# --------------------------------------------------------------------------- Alibaba pod lists

#: Columns of an Alibaba pod list that the job loader needs.
POD_COLUMNS = (
    "name",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "creation_time",
    "deletion_time",
    "scheduled_time",
)
#: Columns of the 5-column variants (multigpuXX): a packing experiment, no times.
PACKING_POD_COLUMNS = ("name", "num_gpu", "gpu_milli")
_POD_TIME_COLUMNS = ("creation_time", "deletion_time", "scheduled_time")


@dataclass
class Pod:
    """One GPU pod of an Alibaba pod list (times in seconds; None when not read or empty)."""

    line: int
    name: str
    num_gpu: int
    gpu_milli: int
    allowed: tuple[str, ...] | None
    creation_s: float | None = None
    scheduled_s: float | None = None
    deletion_s: float | None = None

    @property
    def gpus(self) -> float:
        """GPUs as a gang; below 1 a share of one GPU (``gpu_milli / 1000``)."""
        if self.num_gpu == 1 and self.gpu_milli < 1000:
            return self.gpu_milli / 1000
        return float(self.num_gpu)


@dataclass
class PodList:
    """The GPU pods of a pod list in file order, with the rows left out counted by reason."""

    path: Path
    pods: list[Pod]
    rows: int
    skipped: dict[str, int] = field(default_factory=dict)


#: ``gpu_spec`` values that mean "any model" (pandas writes an empty cell as ``nan``).
_NO_TYPE = frozenset({"", "nan"})


def _refuse_packing_variant(reader: _Reader, header: list[str]) -> None:
    if set(PACKING_POD_COLUMNS) <= set(header) and not set(_POD_TIME_COLUMNS) & set(header):
        raise InputError(
            Problem(
                "this pod list has no creation, scheduled or deletion times: it describes a "
                "packing experiment (place the pods in order until one does not fit), not "
                "jobs arriving over time",
                file=reader.file,
                line=1,
                expected=f"a job trace with columns {','.join(POD_COLUMNS)}",
                found=",".join(header),
                hint="pack it onto a fleet with `--mode packing` "
                "(Python: stargate.sim.packing.pack)",
            )
        )


def read_alibaba_pods(
    path: str | Path,
    *,
    times: bool = True,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> PodList:
    """The GPU pods of an Alibaba pod list, in file order.

    ``times=True`` (a job trace) needs the creation, scheduled and deletion times, refuses the
    5-column packing variants, and leaves out pods never scheduled (``never_scheduled``);
    ``times=False`` (packing) reads ``name, num_gpu, gpu_milli`` and ``gpu_spec`` if present and
    keeps every GPU pod. CPU-only pods (``num_gpu`` 0) are left out (``cpu_only``) either way.

    A row is bad when ``num_gpu`` is not a whole number ≥ 0; ``gpu_milli`` is not within
    0–1000, is 0 for a GPU pod, or is not 1000 for a multi-GPU pod; the name is empty; a time is
    not a number ≥ 0; the scheduled time is before creation; or the deletion time is before the
    creation or the scheduled time.
    """
    p = Path(path)
    required = POD_COLUMNS if times else PACKING_POD_COLUMNS
    reader = _Reader(
        p,
        required,
        what="an Alibaba pod list",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
        header_check=_refuse_packing_variant if times else None,
    )
    ix = reader.index
    i_name, i_num, i_milli = ix["name"], ix["num_gpu"], ix["gpu_milli"]
    i_spec = ix.get("gpu_spec")
    i_c, i_d, i_s = (ix.get(c, -1) for c in _POD_TIME_COLUMNS)
    specs: dict[str, tuple[str, ...] | None] = {"": None}
    pods: list[Pod] = []
    cpu_only = never = 0
    for row in reader.rows():
        try:
            name = row[i_name].strip()
            if not name:
                raise _Bad("name", "no pod name", "a pod name", "an empty cell")
            num = _int(row, i_num, "num_gpu")
            milli = _int(row, i_milli, "gpu_milli")
            if milli > 1000:
                raise _Bad(
                    "gpu_milli",
                    "more than one GPU's worth",
                    "thousandths of one GPU, 0–1000",
                    repr(row[i_milli]),
                )
            if num >= 1 and milli == 0:
                raise _Bad(
                    "gpu_milli",
                    "a GPU pod with no share of a GPU",
                    "1–1000 when num_gpu ≥ 1",
                    repr(row[i_milli]),
                )
            if num > 1 and milli != 1000:
                raise _Bad(
                    "gpu_milli",
                    "a multi-GPU pod with a partial GPU",
                    "1000 when num_gpu > 1",
                    repr(row[i_milli]),
                )
            created = scheduled = deleted = None
            if times:
                created = _seconds(row, i_c, "creation_time")
                scheduled = _seconds(row, i_s, "scheduled_time", optional=True)
                deleted = _seconds(row, i_d, "deletion_time", optional=scheduled is None)
                assert created is not None
                if scheduled is not None and scheduled < created:
                    raise _Bad(
                        "scheduled_time",
                        "scheduled before it was created",
                        f"a time ≥ creation_time {created:g}",
                        repr(row[i_s]),
                    )
                if deleted is not None and deleted < created:
                    raise _Bad(
                        "deletion_time",
                        "deleted before it was created",
                        f"a time ≥ creation_time {created:g}",
                        repr(row[i_d]),
                    )
                if deleted is not None and scheduled is not None and deleted < scheduled:
                    raise _Bad(
                        "deletion_time",
                        "deleted before it was scheduled",
                        f"a time ≥ scheduled_time {scheduled:g}",
                        repr(row[i_d]),
                    )
        except _Bad as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        if num == 0:
            cpu_only += 1
            continue
        if times and scheduled is None:
            never += 1
            continue
        spec = row[i_spec] if i_spec is not None else ""
        allowed = specs.get(spec, ())
        if allowed == ():
            types = [t.strip() for t in spec.split("|") if t.strip().lower() not in _NO_TYPE]
            allowed = tuple(dict.fromkeys(types)) or None
            specs[spec] = allowed
        pods.append(Pod(reader.line, name, num, milli, allowed, created, scheduled, deleted))
    skipped: dict[str, int] = {}
    if cpu_only:
        skipped["cpu_only"] = cpu_only
    if never:
        skipped["never_scheduled"] = never
    reader.finish(skipped)
    return PodList(p, pods, reader.rows_read, skipped)


def load_alibaba_jobs(
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> JobTable:
    """``alibaba-gpu-2023``: an Alibaba pod list (``openb_pod_list_*.csv``) as jobs.

    Each GPU pod that was scheduled is a job: arrival = ``creation_time``, duration =
    ``deletion_time - scheduled_time`` (seconds; queueing in the real cluster is not part of
    the run time), gpus = ``num_gpu``, or ``gpu_milli / 1000`` of one GPU when ``num_gpu`` is 1
    and ``gpu_milli`` < 1000; allowed types from ``gpu_spec`` (``'|'``-separated model names
    such as ``V100M16|V100M32``; empty or ``nan`` = any); class ``research-training``; name =
    the pod name. Jobs are sorted by arrival (ties keep file order). Left out and counted in
    ``skipped``: CPU-only pods (``cpu_only``), pods never scheduled (``never_scheduled``), bad
    rows (``bad_row``, with ``skip_bad_rows``) and, with ``limit``, the jobs after the first
    ``limit`` by arrival (``limit``).

    The 5-column variants (``openb_pod_list_multigpu*.csv``) have no times; they describe a
    packing experiment and are refused here (see :func:`stargate.sim.packing.pack`).
    """
    p = (
        Path(path)
        if path is not None
        else _default_path("alibaba-gpu-2023", "openb_pod_list_default.csv")
    )
    pods = read_alibaba_pods(p, times=True, skip_bad_rows=skip_bad_rows, warnings=warnings)
    n = len(pods.pods)
    arrival = np.fromiter((q.creation_s for q in pods.pods), np.float64, n)
    # every pod read with times=True was scheduled, so has both times
    duration = np.fromiter(
        ((q.deletion_s or 0.0) - (q.scheduled_s or 0.0) for q in pods.pods), np.float64, n
    )
    gpus = np.fromiter((q.gpus for q in pods.pods), np.float64, n)
    order = np.argsort(arrival, kind="stable")
    skipped = dict(pods.skipped)
    if limit is not None and limit < n:
        skipped["limit"] = n - limit
        order = order[:limit]
    allowed = [pods.pods[i].allowed for i in order]
    names = [pods.pods[i].name for i in order]
    return JobTable(
        arrival_s=arrival[order],
        duration_s=duration[order],
        gpus=gpus[order],
        allowed=allowed,
        workload_class=[DEFAULT_TRAINING_CLASS] * len(order),
        source=str(p),
        name=names,
        skipped=skipped,
    )


# --------------------------------------------------------------------------- Azure LLM trace

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")


_EPOCH = datetime(1970, 1, 1)


_FIRST_S = (EARLIEST_INSTANT - _EPOCH).total_seconds()
_LAST_S = (LATEST_INSTANT - _EPOCH).total_seconds()
_TIMESTAMP_EXPECTED = (
    "an ISO date and time such as 2023-11-16 18:15:46.6805900, from "
    f"{EARLIEST_INSTANT.year} to {LATEST_INSTANT.year - 1}"
)


def _timestamp(text: str) -> float:
    """Seconds since 1970 of one ISO timestamp (UTC when it has an offset)."""
    try:
        t = datetime.fromisoformat(text)
        if t.tzinfo is not None:
            t = t.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise _Bad(
            "TIMESTAMP", "not a date and time", _TIMESTAMP_EXPECTED, _clip(repr(text), 60)
        ) from None
    try:
        check_instant(t)
    except ValueError as exc:
        raise _Bad("TIMESTAMP", str(exc), _TIMESTAMP_EXPECTED, repr(text)) from None
    return (t - _EPOCH).total_seconds()


def _parse_timestamps(texts: list[str]) -> FArray | None:
    """Seconds since 1970 of plain ISO timestamps (``YYYY-MM-DD HH:MM:SS[.f]``), parsed at
    once by numpy; None when any is not of that form or outside the representable years (the
    caller then parses one by one, locating the bad ones)."""
    import warnings

    if any(len(t) < 19 for t in texts):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a time-zone offset: leave it to fromisoformat
            # microseconds: numpy's nanoseconds would wrap round silently outside 1678–2262
            stamps = np.array(texts, dtype="datetime64[us]")
    except (ValueError, OverflowError, DeprecationWarning, UserWarning):
        return None
    if np.isnat(stamps).any():
        return None
    seconds = stamps.astype(np.int64) / 1e6
    if len(seconds) and (seconds.min() < _FIRST_S or seconds.max() > _LAST_S):
        return None
    out: FArray = seconds
    return out


def load_azure_demand(
    path: str | Path | None = None,
    *,
    scale: float = 1.0,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> InferenceDemand:
    """``azure-llm-2023``: Azure's LLM inference trace (``AzureLLMInferenceTrace_conv.csv``:
    ``TIMESTAMP, ContextTokens, GeneratedTokens``, one row per request) as demand per minute.

    Minute *m* holds the requests with ``m*60 ≤ t - t0 < (m+1)*60`` seconds, ``t0`` the
    earliest timestamp (rows need not be sorted). Per minute: prompt tokens/s and output
    tokens/s are the minute's ``ContextTokens`` and ``GeneratedTokens`` summed and divided by
    60 (so the last, partial minute is averaged over a whole minute too), and
    ``requests_per_min`` counts requests. ``scale`` multiplies the demand (tokens exactly,
    requests rounded to whole numbers). Timestamps with an offset are converted to UTC; without
    one they are taken as written. Class ``chatgpt-inference``.
    """
    scale = _AZURE_DEMAND.params["scale"].convert("azure-llm-2023", "scale", scale)
    p = (
        Path(path)
        if path is not None
        else _default_path("azure-llm-2023", "AzureLLMInferenceTrace_conv.csv")
    )
    reader = _Reader(
        p,
        AZURE_COLUMNS,
        what="an Azure LLM inference trace",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
    )
    i_t, i_p, i_o = (reader.index[c] for c in AZURE_COLUMNS)
    lines: list[int] = []
    texts: list[str] = []
    prompt: list[int] = []
    output: list[int] = []
    for row in reader.rows():
        try:
            ctx = _int(row, i_p, "ContextTokens", limit=MAX_TOKENS_PER_REQUEST)
            gen = _int(row, i_o, "GeneratedTokens", limit=MAX_TOKENS_PER_REQUEST)
        except _Bad as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        lines.append(reader.line)
        texts.append(row[i_t].strip())
        prompt.append(ctx)
        output.append(gen)
    seconds = _parse_timestamps(texts)
    keep: list[int] = list(range(len(texts)))
    if seconds is None:  # some timestamp is not plain ISO: parse one by one, locating errors
        keep = []
        values: list[float] = []
        for k, (line, text) in enumerate(zip(lines, texts, strict=True)):
            try:
                values.append(_timestamp(text))
            except _Bad as bad:
                reader.bad(reader.cell_problem(bad, line=line))
                continue
            keep.append(k)
        seconds = np.asarray(values, dtype=np.float64)
        prompt = [prompt[k] for k in keep]
        output = [output[k] for k in keep]
    skipped: dict[str, int] = {}
    reader.finish(skipped)
    if not len(seconds):
        raise InputError(
            Problem(
                "no requests in the trace",
                file=str(p),
                expected="at least one row after the header",
            )
        )
    offsets = seconds - seconds.min()
    span_min = float(offsets.max()) / 60.0
    if span_min >= MAX_DEMAND_MINUTES:
        first, last = int(np.argmin(seconds)), int(np.argmax(seconds))
        line_of = lines if len(lines) == len(seconds) else [lines[k] for k in keep]
        raise InputError(
            Problem(
                f"the trace spans {span_min / 525960:,.1f} years: more minutes of demand than "
                f"Stargate represents (at most {MAX_DEMAND_MINUTES:,}, 10 years)",
                file=str(p),
                line=line_of[last],
                path="TIMESTAMP",
                expected="timestamps within 10 years of the earliest",
                found=f"the earliest on line {line_of[first]}, the latest on line {line_of[last]}",
            )
        )
    minute = (offsets // 60.0).astype(np.int64)
    n = int(minute.max()) + 1
    prompt_per_s = np.bincount(minute, weights=np.asarray(prompt, np.float64), minlength=n) / 60
    output_per_s = np.bincount(minute, weights=np.asarray(output, np.float64), minlength=n) / 60
    requests = np.bincount(minute, minlength=n).astype(np.int64)
    if scale != 1.0:
        prompt_per_s *= scale
        output_per_s *= scale
        requests = np.rint(requests * scale).astype(np.int64)
    return InferenceDemand(
        prompt_tokens_per_s=prompt_per_s,
        output_tokens_per_s=output_per_s,
        requests_per_min=requests,
        workload_class=INFERENCE_CLASS,
        source=str(p),
        skipped=skipped,
    )


# --------------------------------------------------------------------------- Philly run times


def load_philly_runtimes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    skipped: dict[str, int] | None = None,
) -> FArray:
    """``philly-2017``: the job run times of Microsoft's Philly cluster (``philly_runtime.csv``,
    one column ``runtime`` in seconds), in file order, to fit or sample durations from. A run
    time that is not a number ≥ 0 is a bad row (counted in ``skipped`` if given)."""
    p = Path(path) if path is not None else _default_path("philly-2017", "philly_runtime.csv")
    reader = _Reader(
        p,
        ("runtime",),
        what="a Philly run-time list",
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
    )
    k = reader.index["runtime"]
    values: list[float] = []
    for row in reader.rows():
        try:
            values.append(_number(row, k, "runtime", "a run time in seconds"))
        except _Bad as bad:
            reader.bad(reader.cell_problem(bad))
    reader.finish(skipped if skipped is not None else {})
    return np.asarray(values, dtype=np.float64)


def load_philly_jobs(
    path: str | Path | None = None,
    *,
    rate_per_h: float = PHILLY_DEFAULT_RATE_PER_H,
    seed: int = 0,
    limit: int | None = None,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> JobTable:
    """``philly-2017`` as jobs: the recorded run times in a seeded random order (the file is
    sorted by run time), each job on 1 GPU of any type, arriving as a Poisson process of
    ``rate_per_h`` jobs per hour (exponential gaps, the first job one gap after 0). The file has
    no arrival times, GPU counts or types, so these are modelling choices: set the rate to load
    the fleet as you want. ``limit`` keeps the first ``limit`` jobs (a random sample without
    replacement); the rest are counted in ``skipped["limit"]``. Class ``research-training``.
    """
    prm = _PHILLY_JOBS.params
    rate_per_h = prm["rate_per_h"].convert("philly-2017", "rate_per_h", rate_per_h)
    seed = prm["seed"].convert("philly-2017", "seed", seed)
    if limit is not None:
        limit = prm["limit"].convert("philly-2017", "limit", limit)
    skipped: dict[str, int] = {}
    runtimes = load_philly_runtimes(
        path, skip_bad_rows=skip_bad_rows, warnings=warnings, skipped=skipped
    )
    rng = np.random.default_rng(seed)
    durations = runtimes[rng.permutation(len(runtimes))]
    if limit is not None and limit < len(durations):
        skipped["limit"] = len(durations) - limit
        durations = durations[:limit]
    n = len(durations)
    with np.errstate(over="ignore"):
        arrivals = np.cumsum(rng.exponential(3600.0 / rate_per_h, n))
    if n and not arrivals[-1] <= MAX_JOB_S:
        raise InputError(
            Problem(
                f"{n:,} jobs at {rate_per_h:g} an hour would arrive over about "
                f"{hours_text(n / rate_per_h)} h, more than Stargate represents "
                f"(at most {MAX_DURATION_H:,} h, 100 years)",
                path="philly-2017?rate_per_h",
                hint=f"raise rate_per_h to at least {n / MAX_DURATION_H:.3g}, or keep fewer "
                "jobs with ?limit=",
            )
        )
    source = str(path) if path is not None else str(find_local("philly-2017"))
    return JobTable(
        arrival_s=arrivals,
        duration_s=durations,
        gpus=np.ones(n),
        allowed=[None] * n,
        workload_class=[DEFAULT_TRAINING_CLASS] * n,
        source=source,
        name=None,
        skipped=skipped,
    )


# --------------------------------------------------------------------------- node lists → fleets


def pool_id(model: str, per_node: int) -> str:
    """A pool id for ``per_node``-GPU nodes of ``model``: a slug, ``V100M16``, 8 → ``v100m16-x8``;
    ``A100-SXM4-80GB``, 8 → ``a100-sxm4-80gb-x8``."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-") or "gpu"
    return f"{slug}-x{per_node}"


def fleet_from_nodes(
    name: str, nodes: Sequence[tuple[str, int]], skipped: dict[str, int] | None = None
) -> FleetSpec:
    """A fleet from ``(model, gpus)`` per node: one pool per (model, GPUs per node), sorted by
    model then size. The accelerator of a pool is the model name as written in the trace, the
    name jobs' allowed types use (``gpu_spec``)."""
    counts: dict[tuple[str, int], int] = {}
    for model, gpus in nodes:
        counts[(model, gpus)] = counts.get((model, gpus), 0) + 1
    pools: list[FleetPool] = []
    used: set[str] = set()
    for (model, per_node), n in sorted(counts.items()):
        pid = base = pool_id(model, per_node)
        k = 2
        while pid in used:  # two models that slug alike ("A-10", "A10"): keep both
            pid, k = f"{base}-{k}", k + 1
        used.add(pid)
        pools.append(FleetPool(id=pid, accelerator=model, nodes=n, per_node=per_node))
    return FleetSpec(name=name, pools=pools, any_type=False, skipped=dict(skipped or {}))


def _read_nodes(
    path: Path,
    columns: tuple[str, str, str],
    what: str,
    skip_bad_rows: bool,
    warnings: list[Problem] | None,
) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """(model, gpus) of each GPU node; nodes without GPUs counted as ``cpu_only``."""
    name_col, gpu_col, model_col = columns
    reader = _Reader(
        path,
        columns,
        what=what,
        skip_bad_rows=skip_bad_rows,
        warnings=warnings,
        max_bytes=MAX_NODE_LIST_BYTES,
    )
    i_n, i_g, i_m = (reader.index[c] for c in columns)
    nodes: list[tuple[str, int]] = []
    cpu_only = total = 0
    for row in reader.rows():
        try:
            if not row[i_n].strip():
                raise _Bad(name_col, "no node name", "a node name", "an empty cell")
            gpus = _int(row, i_g, gpu_col, limit=MAX_ACCELERATORS_PER_NODE)
            model = row[i_m].strip()
            if gpus > 0 and model.lower() in _NO_TYPE:
                raise _Bad(
                    model_col,
                    "a GPU node without a GPU model",
                    "a model name such as V100M16 when the node has GPUs",
                    "an empty cell",
                )
        except _Bad as bad:
            reader.bad(reader.cell_problem(bad))
            continue
        if gpus == 0:
            cpu_only += 1
            continue
        total += gpus
        if total > MAX_ACCELERATORS:
            raise InputError(
                Problem(
                    "the node list holds more accelerators than Stargate represents in one "
                    f"fleet (at most {MAX_ACCELERATORS:,})",
                    file=reader.file,
                    line=reader.line,
                    path=f"{gpu_col} (column {i_g + 1})",
                )
            )
        nodes.append((model, gpus))
    skipped: dict[str, int] = {"cpu_only": cpu_only} if cpu_only else {}
    reader.finish(skipped)
    if not nodes:
        raise InputError(
            Problem(
                "no GPU nodes in the node list",
                file=str(path),
                expected="at least one node with GPUs",
            )
        )
    return nodes, skipped


def load_alibaba_nodes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> FleetSpec:
    """``alibaba-gpu-2023`` node list (``openb_node_list_gpu_node.csv`` or ``..._all_node.csv``:
    ``sn, cpu_milli, memory_mib, gpu, model``) as a fleet: one pool per (model, GPUs per node),
    e.g. ``v100m16-x8`` = 8 nodes of 8 V100M16. Nodes with ``gpu`` 0 are left out and counted
    (``cpu_only``). Models (P100, T4, V100M16, V100M32, A10, G2, G3; G1–G3 undisclosed) stay as
    written: they are the types pods' ``gpu_spec`` names. CPU and memory are not modelled."""
    given = path is not None
    p = (
        Path(path)
        if path is not None
        else _default_path("alibaba-gpu-2023", "openb_node_list_gpu_node.csv")
    )
    nodes, skipped = _read_nodes(
        p, ("sn", "gpu", "model"), "an Alibaba node list", skip_bad_rows, warnings
    )
    return fleet_from_nodes(
        f"alibaba-gpu-2023:{p}" if given else "alibaba-gpu-2023", nodes, skipped
    )


def load_spot_nodes(
    path: str | Path | None = None,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> FleetSpec:
    """``alibaba-spot-gpu-2026`` node list (``node_info_df.csv``: ``gpu_model,
    gpu_capacity_num, cpu_num, node_name``) as a fleet, grouped like :func:`load_alibaba_nodes`
    (e.g. ``a100-sxm4-80gb-x8``, accelerator ``A100-SXM4-80GB``). Nodes with no GPUs are
    counted as ``cpu_only``."""
    given = path is not None
    p = (
        Path(path)
        if path is not None
        else _default_path("alibaba-spot-gpu-2026", "node_info_df.csv")
    )
    nodes, skipped = _read_nodes(
        p,
        ("node_name", "gpu_capacity_num", "gpu_model"),
        "an Alibaba spot node list",
        skip_bad_rows,
        warnings,
    )
    return fleet_from_nodes(
        f"alibaba-spot-gpu-2026:{p}" if given else "alibaba-spot-gpu-2026", nodes, skipped
    )


def pool_fleet(n: int | str) -> FleetSpec:
    """``pool:N``: N accelerators that satisfy every type constraint, in one pool ``pool`` —
    N/8 nodes of 8 when N is a multiple of 8, else N nodes of 1. N is read exactly: digits, or
    a number that is exactly whole (``1e6``), from 1 to
    :data:`~stargate.domain.limits.MAX_ACCELERATORS`; anything else (``1.5``, ``1e23``) is an
    InputError naming the limit, never a rounding."""
    text = str(n).strip()
    expected = f"pool:N with N a whole number from 1 to {MAX_ACCELERATORS:,}, e.g. pool:1024"
    try:
        count = (
            n
            if isinstance(n, int) and not isinstance(n, bool)
            else parse_count(text, "fleet size", MAX_ACCELERATORS)
        )
        if not isinstance(count, int) or count < 1:
            raise ValueError("fleet size must be at least 1")
        check_count(count, "fleet size", MAX_ACCELERATORS)
    except ValueError as exc:
        raise InputError(
            Problem(
                f"bad size for fleet 'pool:{_clip(text, 40)}': {exc}",
                path="--fleet",
                expected=expected,
                found=_clip(repr(text), 60),
            )
        ) from None
    nodes, per_node = (count // 8, 8) if count % 8 == 0 else (count, 1)
    pool = FleetPool(id="pool", accelerator="any", nodes=nodes, per_node=per_node)
    return FleetSpec(name=f"pool:{count}", pools=[pool], any_type=True)


# --------------------------------------------------------------------------- registries

WorkloadItem = JobTable | InferenceDemand


@dataclass(frozen=True)
class Loader:
    """A registry entry: what the source is, its parameters, and the function that loads it
    from ``(path or None, converted parameters, options)``."""

    name: str
    summary: str
    params: Mapping[str, Param]
    load: Callable[[str | None, dict[str, Any], _Options], Any]
    trace: str | None = None  # catalog name, for default files
    default_file: str | None = None


@dataclass
class _Options:
    skip_bad_rows: bool = False
    warnings: list[Problem] | None = None
    context: Mapping[str, Any] | None = None


def _file_arg(path: str | None, loader: Loader) -> Path | None:
    """The file to read: the given path (a folder means the default file in it) or None."""
    if path is None:
        return None
    p = Path(path).expanduser()
    if p.is_dir() and loader.default_file:
        return p / loader.default_file
    return p


def _synthetic(path: str | None, params: dict[str, Any], opts: _Options) -> Any:
    import importlib

    try:
        synthetic = importlib.import_module("stargate.sim.synthetic")
    except ModuleNotFoundError as exc:
        if exc.name != "stargate.sim.synthetic":
            raise
        raise InputError(
            Problem("the synthetic workload generator is not available", path="synthetic")
        ) from None
    import inspect

    kwargs = dict(params)
    accepts = inspect.signature(synthetic.generate).parameters
    if "context" in accepts and opts.context is not None:
        kwargs["context"] = opts.context
    return synthetic.generate(**kwargs)


_LIMIT = Param(int, "keep the earliest jobs, count the rest", 1, MAX_ITEMS, default="all")
_ALIBABA_JOBS = Loader(
    "alibaba-gpu-2023",
    "Alibaba GPU cluster 2023 pod list → jobs (arrival, run time, GPUs, allowed models)",
    {"limit": _LIMIT},
    lambda path, prm, o: load_alibaba_jobs(
        path, limit=prm.get("limit"), skip_bad_rows=o.skip_bad_rows, warnings=o.warnings
    ),
    trace="alibaba-gpu-2023",
    default_file="openb_pod_list_default.csv",
)
_AZURE_DEMAND = Loader(
    "azure-llm-2023",
    "Azure LLM inference 2023 (conversation) → tokens per second, per minute",
    {
        "scale": Param(
            float, "multiplies the demand", 0, MAX_AZURE_SCALE, low_open=True, default="1"
        )
    },
    lambda path, prm, o: load_azure_demand(
        path, scale=prm.get("scale", 1.0), skip_bad_rows=o.skip_bad_rows, warnings=o.warnings
    ),
    trace="azure-llm-2023",
    default_file="AzureLLMInferenceTrace_conv.csv",
)
_PHILLY_JOBS = Loader(
    "philly-2017",
    "Philly 2017 run times → 1-GPU jobs with Poisson arrivals",
    {
        "rate_per_h": Param(
            float,
            "jobs arriving per hour (Poisson)",
            0,
            MAX_RATE_PER_H,
            low_open=True,
            default=f"{PHILLY_DEFAULT_RATE_PER_H:g}",
        ),
        "seed": Param(int, "seed of the arrivals and the order", 0, MAX_SEED, default="0"),
        "limit": Param(int, "keep a random sample of jobs", 1, MAX_ITEMS, default="all"),
    },
    lambda path, prm, o: load_philly_jobs(
        path,
        rate_per_h=prm.get("rate_per_h", PHILLY_DEFAULT_RATE_PER_H),
        seed=prm.get("seed", 0),
        limit=prm.get("limit"),
        skip_bad_rows=o.skip_bad_rows,
        warnings=o.warnings,
    ),
    trace="philly-2017",
    default_file="philly_runtime.csv",
)
_SYNTHETIC = Loader(
    "synthetic",
    "generated jobs (stargate.sim.synthetic); parameters go to its generate()",
    {},
    _synthetic,
)

#: Workload sources by canonical name.
WORKLOADS: dict[str, Loader] = {
    w.name: w for w in (_ALIBABA_JOBS, _AZURE_DEMAND, _PHILLY_JOBS, _SYNTHETIC)
}

#: Fleet sources by canonical name (``pool`` takes its size where others take a path).
FLEETS: dict[str, Loader] = {
    f.name: f
    for f in (
        Loader(
            "alibaba-gpu-2023",
            "Alibaba GPU cluster 2023 node list → pools by (model, GPUs per node)",
            {},
            lambda path, prm, o: load_alibaba_nodes(
                path, skip_bad_rows=o.skip_bad_rows, warnings=o.warnings
            ),
            trace="alibaba-gpu-2023",
            default_file="openb_node_list_gpu_node.csv",
        ),
        Loader(
            "alibaba-spot-gpu-2026",
            "Alibaba spot GPU fleet 2026 node list → pools by (model, GPUs per node)",
            {},
            lambda path, prm, o: load_spot_nodes(
                path, skip_bad_rows=o.skip_bad_rows, warnings=o.warnings
            ),
            trace="alibaba-spot-gpu-2026",
            default_file="node_info_df.csv",
        ),
        Loader(
            "pool",
            "pool:N — N accelerators of any type in one pool",
            {},
            lambda arg, prm, o: _pool(arg),
        ),
    )
}


def _pool(arg: str | None) -> FleetSpec:
    if arg is None:
        raise InputError(
            Problem("fleet 'pool' needs a size", path="pool", expected="pool:N, e.g. pool:1024")
        )
    return pool_fleet(arg)


def source_params(name: str) -> Mapping[str, Param]:
    """The parameter table of a workload or fleet source (``synthetic``: its generator's)."""
    if name == "synthetic":
        from stargate.sim.synthetic import JOB_PARAM_TABLE

        return JOB_PARAM_TABLE
    registry = WORKLOADS if name in WORKLOADS else FLEETS
    return _lookup(registry, name, "workload").params


def check_params(name: str, params: Mapping[str, object]) -> dict[str, Any]:
    """``params`` (text from a spec, or numbers from a scenario's workload-source ``params``)
    checked against the source's table: the converted values, or InputError naming the
    parameter, its range and meaning. Every source is checked by this one function."""
    return convert_params(name, params, source_params(name))


def _lookup(registry: Mapping[str, Loader], name: str, what: str) -> Loader:
    try:
        return registry[name]
    except KeyError:
        hint = did_you_mean(name, registry)
        raise InputError(Problem(f"unknown {what} source '{name}'", path=name, hint=hint)) from None


def trace_path(spec: str, *, fleet: bool = False) -> Path:
    """The file a source spec reads: its PATH, or the trace's default file in a local copy
    (InputError saying where it looked when there is none)."""
    src = parse_source(spec)
    loader = _lookup(FLEETS if fleet else WORKLOADS, src.name, "fleet" if fleet else "workload")
    if loader.trace is None or loader.default_file is None:
        raise InputError(Problem(f"source '{src.name}' does not read a file", path=src.name))
    given = _file_arg(src.path, loader)
    return given if given is not None else _default_path(loader.trace, loader.default_file)


def load_workload(
    spec: str,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
    context: Mapping[str, Any] | None = None,
) -> Any:
    """Load a workload from a source spec: a :class:`JobTable` (``alibaba-gpu-2023``,
    ``philly-2017``, ``synthetic``) or an :class:`InferenceDemand` (``azure-llm-2023``).

    ``warnings`` (a list, optional) receives the first problems of skipped bad rows;
    ``context`` (e.g. the fleet) is passed to the synthetic generator when it takes one.
    """
    src = parse_source(spec)
    loader = _lookup(WORKLOADS, src.name, "workload")
    if loader is _SYNTHETIC:
        if src.path is not None:
            raise InputError(
                Problem(
                    "the synthetic source takes no path",
                    path=spec,
                    expected="synthetic?key=value&...",
                )
            )
        check_params("synthetic", src.params)  # names and ranges; generate() converts
        params: dict[str, Any] = dict(src.params)
    else:
        params = _convert_params(src.name, src.params, loader.params)
    opts = _Options(skip_bad_rows=skip_bad_rows, warnings=warnings, context=context)
    path = _file_arg(src.path, loader)
    return loader.load(str(path) if path is not None else None, params, opts)


def load_fleet(
    spec: str,
    *,
    skip_bad_rows: bool = False,
    warnings: list[Problem] | None = None,
) -> FleetSpec:
    """Load a fleet from a source spec: ``pool:N``, ``alibaba-gpu-2023[:PATH]`` (node list) or
    ``alibaba-spot-gpu-2026[:PATH]``."""
    src = parse_source(spec)
    loader = _lookup(FLEETS, src.name, "fleet")
    params = _convert_params(src.name, src.params, loader.params)
    opts = _Options(skip_bad_rows=skip_bad_rows, warnings=warnings)
    arg = src.path
    if loader.trace is not None:  # a file (a folder means its default file)
        path = _file_arg(src.path, loader)
        arg = str(path) if path is not None else None
    fleet: FleetSpec = loader.load(arg, params, opts)
    return fleet


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


def list_traces() -> list[TraceStatus]:
    """Every trace of the catalog, sorted by name, with its local copy if one is found."""
    out = []
    for name in sorted(TRACES):
        t = TRACES[name]
        first = find_local(name)
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
