"""Property: a trace file with one hostile cell loads every row with exactly the meant values,
or refuses the file at that row's line, or (with ``--skip-bad-rows``) drops that row and
counts it — and ``stargate simulate`` on it exits 0 or 2.

Traces: an Alibaba pod list (``alibaba-gpu-2023``), a Philly run-time list (``philly-2017``)
and an Azure LLM inference trace (``azure-llm-2023``), with the headers of docs/traces.md.
Cells of a trace are plain text (not YAML): a cell means the number Python's ``float`` reads
from a plain decimal, or nothing (:data:`BAD`) otherwise.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stargate.domain import limits
from stargate.errors import InputError, Problem
from stargate.sim.traces import load_alibaba_jobs, load_azure_demand, load_philly_runtimes
from tests.fuzz.checks import LONG, assert_clean_exit, assert_located, budget, invoke, time_bound
from tests.fuzz.values import BAD

# ASCII digits only, never grouped: the rule of trace cells (stargate.sim.workload.NUMBER_TEXT),
# so '1_000', '١٢' and '９' are not numbers there although Python's float() reads them
_DIGITS = r"[0-9]+"
_DECIMAL = re.compile(rf"^[+-]?({_DIGITS}(\.({_DIGITS})?)?|\.{_DIGITS})([eE][+-]?{_DIGITS})?$")


def meaning(cell: str) -> Any:
    """The number a trace cell means, or BAD."""
    text = cell.strip()
    return float(text) if _DECIMAL.match(text) else BAD


numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(0, 1e7).map(lambda x: f"{x:.3f}"),
    st.sampled_from(
        ["nan", "inf", "-inf", "-0", " 5 ", "5.0", "1e400", "1e300", "1e-300", "0x10", "1_000"]
    ),
    st.sampled_from(["", "seven", "١٢", "5,0", "5.", ".5", "1e", "--1", "９"]),
    st.sampled_from([str(10**20), str(limits.MAX_ACCELERATORS + 1), "94670856000000"]),
)

POD_HEADER = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
]
POD = {
    "cpu_milli": "12000",
    "memory_mib": "16384",
    "num_gpu": "1",
    "gpu_milli": "1000",
    "gpu_spec": "",
    "qos": "LS",
    "pod_phase": "Running",
    "creation_time": "0",
    "deletion_time": "3600",
    "scheduled_time": "60",
}
MAX_S = limits.MAX_DURATION_H * 3600.0


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(c, "") for c in header])
    path.write_text(buf.getvalue(), encoding="utf-8")


def pod_verdict(column: str, cell: str) -> str:
    """'refuse' (the row is bad), or 'exact' (the row may load, exactly as meant)."""
    if not cell.strip().isascii():
        return "refuse"  # trace numbers are ASCII (docs/traces.md): '١٢' is not read as 12
    m = meaning(cell)
    if m is BAD or not math.isfinite(m) or m < 0:
        return "refuse"
    if column in ("num_gpu", "gpu_milli") and not m.is_integer():
        return "refuse"
    if column == "num_gpu" and not 1 <= m <= limits.MAX_ACCELERATORS:
        return "refuse"  # 0 is a CPU pod (left out and counted): handled as 'refuse' too
    if column == "gpu_milli" and not 1 <= m <= 1000:
        return "refuse"
    if column.endswith("_time") and m > MAX_S:
        return "refuse"  # 100 years after the start of the trace: more than Stargate runs
    if column == "deletion_time" and m < float(POD["scheduled_time"]):
        return "refuse"  # deleted before it was scheduled (docs/traces.md, bad input)
    return "exact"


def row_problem(problems: list[Problem], file: str, line: int) -> None:
    assert_located(problems, file, line=line)


@budget(40)
@given(
    column=st.sampled_from(["num_gpu", "gpu_milli", "creation_time", "deletion_time"]),
    cell=numbers,
    skip=st.booleans(),
)
def test_alibaba_pod_cell(
    tmp_path_factory: pytest.TempPathFactory, column: str, cell: str, skip: bool
) -> None:
    tmp = tmp_path_factory.mktemp("pods")
    path = tmp / "pods.csv"
    rows = [{**POD, "name": f"pod-{i}", "creation_time": str(i * 10)} for i in range(3)]
    rows[1] = {**rows[1], column: cell}
    if column == "creation_time":
        rows[1]["scheduled_time"] = rows[1]["deletion_time"] = cell  # keep the order valid
    write_csv(path, POD_HEADER, rows)
    want = pod_verdict(column, cell)
    with time_bound(10):
        try:
            jobs = load_alibaba_jobs(path, skip_bad_rows=skip)
        except InputError as exc:
            assert not skip, f"{column}={cell!r}: --skip-bad-rows refused the whole file"
            row_problem(exc.problems, str(path), line=3)
            loaded = None
        else:
            loaded = jobs
    if loaded is not None:
        names = list(loaded.name or [])
        if "pod-1" not in names:
            assert want == "refuse", f"{column}={cell!r}: pod-1 dropped though valid"
            assert loaded.skipped.get("bad_row", 0) + loaded.skipped.get("cpu_only", 0) == 1
            assert sorted(names) == ["pod-0", "pod-2"]
        else:
            assert want == "exact", f"{column}={cell!r} accepted; must be refused"
            k = names.index("pod-1")
            m = meaning(cell)
            if column == "num_gpu":
                assert loaded.gpus[k] == m
            elif column == "gpu_milli":
                assert loaded.gpus[k] == (m / 1000 if m < 1000 else 1.0)
            elif column == "creation_time":
                assert loaded.arrival_s[k] == m
            else:
                assert loaded.duration_s[k] == m - 60.0
    args = ["simulate", "--workload", f"alibaba-gpu-2023:{path}", "--fleet", "pool:64", "--json"]
    if skip:
        args.append("--skip-bad-rows")
    assert_clean_exit(invoke(args, seconds=10), args)


@budget(30)
@given(cell=numbers, skip=st.booleans())
def test_philly_runtime_cell(
    tmp_path_factory: pytest.TempPathFactory, cell: str, skip: bool
) -> None:
    path = tmp_path_factory.mktemp("philly") / "philly_runtime.csv"
    write_csv(path, ["runtime"], [{"runtime": "60"}, {"runtime": cell}, {"runtime": "120"}])
    m = meaning(cell)
    bad = m is BAD or not math.isfinite(m) or m < 0 or m > MAX_S
    with time_bound(10):
        try:
            skipped: dict[str, int] = {}
            values = load_philly_runtimes(path, skip_bad_rows=skip, skipped=skipped)
        except InputError as exc:
            assert bad, f"runtime {cell!r} refused the file"
            assert not skip, f"runtime {cell!r} refused the file"
            row_problem(exc.problems, str(path), line=3)
        else:
            if bad:
                assert skip
                assert list(values) == [60.0, 120.0]
                assert skipped == {"bad_row": 1}
            else:
                assert list(values) == [60.0, m, 120.0]
    args = ["simulate", "--workload", f"philly-2017:{path}?limit=3", "--fleet", "pool:8", "--json"]
    assert_clean_exit(invoke(args, seconds=10), args)


# Timestamps within two years of the trace (a span the demand table holds in a few MB), and
# text that is no timestamp. The far ones (years 1 to 9999, which the reader would turn into
# billions of minutes) only in the long run: in the default run they would fill the shared
# machine's memory until the readers bound the span.
stamps = st.one_of(
    st.datetimes(min_value=datetime(2022, 11, 16), max_value=datetime(2024, 11, 16)).map(
        lambda t: t.isoformat(sep=" ")
    ),
    st.sampled_from(["2023-11-16 18:15:46.6805900", "2023-11-16T18:15:46+05:00", "soon", ""]),
    *(
        [st.datetimes().map(lambda t: t.isoformat(sep=" ")), st.just("9999-12-31 23:59:59")]
        if LONG
        else []
    ),
)


@budget(30)
@given(stamp=stamps, tokens=numbers)
def test_azure_row(tmp_path_factory: pytest.TempPathFactory, stamp: str, tokens: str) -> None:
    path = tmp_path_factory.mktemp("azure") / "azure.csv"
    rows = [
        {"TIMESTAMP": "2023-11-16 18:15:46", "ContextTokens": "100", "GeneratedTokens": "10"},
        {"TIMESTAMP": stamp, "ContextTokens": tokens, "GeneratedTokens": "10"},
    ]
    write_csv(path, ["TIMESTAMP", "ContextTokens", "GeneratedTokens"], rows)
    with time_bound(10):
        try:
            demand = load_azure_demand(path)
        except InputError as exc:
            assert_located(exc.problems, str(path))
        else:
            m = meaning(tokens)
            assert m is not BAD, f"tokens {tokens!r} accepted"
            assert m.is_integer(), f"tokens {tokens!r} accepted"
            assert m >= 0, f"tokens {tokens!r} accepted"
            total = float(sum(demand.prompt_tokens_per_s)) * 60
            assert math.isclose(total, 100 + m, rel_tol=1e-12)
    args = ["simulate", "--workload", f"azure-llm-2023:{path}", "--json"]
    assert_clean_exit(invoke(args, seconds=10), args)
