"""Hostile input to the trace, fleet and synthetic readers: every value the engines cannot
represent is refused (exit 2, located, naming the limit) before any work; nothing hangs, reads
without bound, or changes silently. Each case is a file of two or three rows in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.limits import MAX_ACCELERATORS
from stargate.errors import InputError, Problem
from stargate.sim import synthetic as syn
from stargate.sim.packing import MAX_PACKING_GPUS, pack
from stargate.sim.traces import (
    FLEETS,
    WORKLOADS,
    load_alibaba_jobs,
    load_alibaba_nodes,
    load_azure_demand,
    load_fleet,
    load_philly_jobs,
    load_workload,
    parse_count,
    pool_fleet,
)
from stargate.sim.workload import MAX_DEMAND_MINUTES, FleetPool, FleetSpec

POD_HEADER = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
    "creation_time,deletion_time,scheduled_time\n"
)


def pods(tmp_path: Path, *rows: str) -> Path:
    p = tmp_path / "pods.csv"
    p.write_text(POD_HEADER + "".join(r + "\n" for r in rows))
    return p


def cli(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.output


# --------------------------------------------------------------------------- class 5: spans


def test_deletion_three_million_years_later_is_refused_at_its_cell(tmp_path: Path) -> None:
    path = pods(tmp_path, "p1,0,0,1,1000,,LS,Running,0,94670856000000,10", "p2,0,0,1,1000,,,,5,9,6")
    with pytest.raises(InputError) as exc:
        load_alibaba_jobs(path)
    text = str(exc.value)
    assert f"{path}:2:10" in text
    assert "deletion_time" in text
    assert "at most 876,600 h" in text
    code, out = cli("simulate", "--fleet", "pool:8", "--workload", f"alibaba-gpu-2023:{path}")
    assert code == 2
    assert f"{path}:2:10" in out
    assert "876,600 h" in out


def test_a_far_time_is_counted_with_skip_bad_rows(tmp_path: Path) -> None:
    path = pods(tmp_path, "p1,0,0,1,1000,,,,1e300,1e301,1e300", "p2,0,0,1,1000,,,,5,9,6")
    warnings: list[Problem] = []
    jobs = load_alibaba_jobs(path, skip_bad_rows=True, warnings=warnings)
    assert jobs.name == ["p2"]
    assert jobs.skipped == {"bad_row": 1}
    assert warnings
    assert warnings[0].line == 2


def test_synthetic_duration_scale_is_bounded() -> None:
    with pytest.raises(InputError, match=r"'duration_scale'.*at most 340"):
        load_workload("synthetic?duration_scale=1e300")
    longest = syn.generate(jobs=2000, duration_scale=syn.MAX_DURATION_SCALE).duration_s.max()
    assert longest <= 876_600 * 3600


@pytest.mark.parametrize(
    ("spec", "param"),
    [
        ("synthetic?rate_per_h=1e-300", "rate_per_h"),
        ("synthetic?rate_per_h=0.001", "rate_per_h"),
        ("synthetic?fleet_accelerators=10&utilization=1e-300", "fleet_accelerators"),
    ],
)
def test_synthetic_arrivals_beyond_a_century_name_the_parameter(spec: str, param: str) -> None:
    with pytest.raises(InputError) as exc:
        load_workload(spec)
    assert exc.value.problems[0].path == f"synthetic?{param}"
    assert "at most 876,600 h" in str(exc.value)


def test_philly_rate_too_low_is_refused_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "philly.csv"
    path.write_text("runtime\n10\n20\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning may reach the terminal
        with pytest.raises(InputError, match=r"philly-2017\?rate_per_h.*at most 876,600 h"):
            load_workload(f"philly-2017:{path}?rate_per_h=1e-300")


def test_azure_trace_spanning_years_1_to_9999(tmp_path: Path) -> None:
    path = tmp_path / "az.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "0001-01-01 00:00:00,1,1\n9999-01-01 00:00:00,1,1\n"
    )
    with pytest.raises(InputError) as exc:
        load_azure_demand(path)
    p = exc.value.problems[0]
    assert (p.file, p.line, p.column) == (str(path), 2, 1)
    assert "1900-01-01" in p.message


def test_azure_span_over_ten_years_names_both_rows(tmp_path: Path) -> None:
    path = tmp_path / "az.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2190-01-01 00:00:00,1,1\n1901-01-01 00:00:00,1,1\n"
    )
    with pytest.raises(InputError) as exc:
        load_azure_demand(path)
    p = exc.value.problems[0]
    assert p.line == 2
    assert "line 3" in (p.found or "")
    assert f"{MAX_DEMAND_MINUTES:,}" in p.message


def test_numpy_never_wraps_timestamps_round(tmp_path: Path) -> None:
    """datetime64[ns] silently wraps 2300 to 1715; the reader must keep the year or refuse."""
    path = tmp_path / "az.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2190-01-01 00:00:00,1,1\n2190-01-01 00:01:30,1,1\n"
    )
    d = load_azure_demand(path)
    assert d.requests_per_min.tolist() == [1, 1]


def test_node_with_a_billion_gpus(tmp_path: Path) -> None:
    path = tmp_path / "nodes.csv"
    path.write_text("sn,cpu_milli,memory_mib,gpu,model\nn1,0,0,1000000000,A10\n")
    with pytest.raises(InputError) as exc:
        load_alibaba_nodes(path)
    p = exc.value.problems[0]
    assert (p.line, p.column) == (2, 4)
    assert "at most 1,024" in p.message


def test_packing_refuses_a_fleet_it_cannot_track(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("name,num_gpu,gpu_milli\na,1,1000\n")
    big = FleetSpec("big", [FleetPool("pool", "any", MAX_PACKING_GPUS // 8 + 1, 8)], any_type=True)
    with pytest.raises(InputError, match=f"at most {MAX_PACKING_GPUS:,} GPUs"):
        pack(path, big)
    code, out = cli("simulate", "--mode", "packing", "-w", f"alibaba-gpu-2023:{path}",
                    "--fleet", "pool:1e9")  # fmt: skip
    assert code == 2
    assert "10,000,000" in out


# --------------------------------------------------------------------------- class 4: counts


@pytest.mark.parametrize(
    ("text", "count"),
    [("64", 64), ("8.0", 8), ("1e3", 1000), ("+16", 16), (" 10 ", 10), ("1e7", MAX_ACCELERATORS)],
)
def test_pool_sizes_are_read_exactly(text: str, count: int) -> None:
    assert pool_fleet(text).count == count == load_fleet(f"pool:{text.strip()}").count


@pytest.mark.parametrize(
    "text", ["1e23", "10000001", "1.5", "9007199254740993.5", "1e999999", "nan", "inf", "-8", "0"]
)
def test_pool_sizes_beyond_the_limit_or_not_whole(text: str) -> None:
    with pytest.raises(InputError) as exc:
        pool_fleet(text)
    assert "10,000,000" in str(exc.value)
    code, out = cli("simulate", "--fleet", f"pool:{text}")
    assert code == 2
    assert "pool:N" in out


@given(st.integers(min_value=0, max_value=10**30))
def test_parse_count_is_exact_or_refuses(value: int) -> None:
    for text in (str(value), f"{value}.0", f"{value:e}" if value < 10**6 else str(value)):
        try:
            got = parse_count(text, "count", MAX_ACCELERATORS)
        except ValueError as exc:
            assert value > MAX_ACCELERATORS
            # an oracle, not an expected error: the drawn value decides whether refusing is right
            assert "at most 10,000,000" in str(exc)  # noqa: PT017
        else:
            assert got == value


# --------------------------------------------------------------------------- class 6: files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("where", ["workload", "fleet"])
def test_a_fifo_is_refused_before_reading(tmp_path: Path, where: str) -> None:
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    args = (
        ["--fleet", "pool:8", "--workload", f"alibaba-gpu-2023:{fifo}"]
        if where == "workload"
        else ["--fleet", f"alibaba-gpu-2023:{fifo}"]
    )
    code, out = cli("simulate", *args)
    assert code == 2
    assert "named pipe" in out
    assert str(fifo) in out


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_before_reading() -> None:
    code, out = cli("simulate", "--fleet", "alibaba-spot-gpu-2026:/dev/zero")
    assert code == 2
    assert "character device" in out


def test_an_endless_line_is_one_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "philly.csv"
    path.write_text("runtime\n" + "9" * (2**20 + 10) + "\n5\n")
    warnings: list[Problem] = []
    from stargate.sim.traces import load_philly_runtimes

    skipped: dict[str, int] = {}
    values = load_philly_runtimes(path, skip_bad_rows=True, warnings=warnings, skipped=skipped)
    assert values.tolist() == [5.0]
    assert skipped == {"bad_row": 1}
    assert warnings[0].line == 2


# --------------------------------------------------------------------------- class 8: params


@pytest.mark.parametrize(
    ("spec", "param", "words"),
    [
        ("philly-2017?seed=-1", "seed", "from 0 to 18,446,744,073,709,551,615"),
        ("philly-2017?seed=1.5", "seed", "whole number"),
        ("philly-2017?rate_per_h=nan", "rate_per_h", "above 0"),
        ("philly-2017?limit=inf", "limit", "from 1 to 10,000,000"),
        ("azure-llm-2023?scale=1e300", "scale", "at most 1,000,000"),
        ("azure-llm-2023?scale=nan", "scale", "above 0"),
        ("alibaba-gpu-2023?limit=-1", "limit", "from 1"),
        ("synthetic?seed=-1", "seed", "from 0"),
        ("synthetic?jobs=1e30", "jobs", "to 10,000,000"),
        ("synthetic?size_scale=inf", "size_scale", "at most 39,062"),
        ("synthetic?span_h=1e9", "span_h", "at most 876,600"),
        ("synthetic?utilization=nan", "utilization", "at most 1"),
        ("synthetic?fleet_accelerators=1e23", "fleet_accelerators", "to 10,000,000"),
    ],
)
def test_every_parameter_is_checked_against_its_range(spec: str, param: str, words: str) -> None:
    with pytest.raises(InputError) as exc:
        load_workload(spec)
    p = exc.value.problems[0]
    assert p.path is not None
    assert p.path.endswith(f"?{param}")
    assert words in str(exc.value)
    code, out = cli("simulate", "--fleet", "pool:8", "--workload", spec)
    assert code == 2
    assert param in out
    assert "Traceback" not in out


def test_the_same_table_checks_python_calls() -> None:
    with pytest.raises(InputError, match="philly-2017 parameter 'seed'"):
        load_philly_jobs(seed=-1)
    with pytest.raises(InputError, match="azure-llm-2023 parameter 'scale'"):
        load_azure_demand(scale=float("nan"))
    with pytest.raises(InputError, match="synthetic parameter 'seed'"):
        # a NumPy integer on purpose: the seed check must see through it
        syn.generate(seed=np.int64(-3))  # type: ignore[arg-type]


def test_every_source_declares_a_range_for_every_number() -> None:
    tables = [w.params for _, w in WORKLOADS.items()] + [f.params for _, f in FLEETS.items()]
    tables += [syn.JOB_PARAM_TABLE, syn.INFERENCE_PARAM_TABLE]
    for table in tables:
        for name, param in table.items():
            if param.kind is not str:
                assert param.low is not None, name
                assert param.high is not None, name


def test_inference_demand_beyond_the_fleet_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "az.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-01-01 00:00:00,1000000000,1000000000\n2023-01-01 00:00:01,1,1\n"
    )
    code, out = cli(
        "simulate", "--fleet", "pool:8", "--workload", f"azure-llm-2023:{path}?scale=1e6"
    )
    assert code == 2
    assert "10,000,000" in out


# --------------------------------------------------------------------------- class 9: quotes


def test_unterminated_quote_is_located_where_it_opens(tmp_path: Path) -> None:
    path = pods(
        tmp_path,
        "p1,0,0,1,1000,,,,0,100,10",
        'p2,0,0,1,1000,"A10,,,0,100,10',
        "p3,0,0,1,1000,,,,5,100,10",
        "p4,0,0,1,1000,,,,6,100,10",
    )
    with pytest.raises(InputError) as exc:
        load_alibaba_jobs(path)
    p = exc.value.problems[0]
    assert (p.line, p.column) == (3, 6)
    assert "quote" in p.message
    warnings: list[Problem] = []
    jobs = load_alibaba_jobs(path, skip_bad_rows=True, warnings=warnings)
    assert jobs.name == ["p1", "p3", "p4"]
    assert jobs.skipped == {"bad_row": 1}
    assert [w.line for w in warnings] == [3]


def test_a_quote_that_closes_lines_later_loses_only_its_line(tmp_path: Path) -> None:
    path = pods(
        tmp_path,
        'p1,0,0,1,1000,"A10,,,0,100,10',
        "p2,0,0,1,1000,,,,5,100,10",
        'p3,0,0,1,1000,A10",,,6,100,10',
        "p4,0,0,1,1000,,,,7,100,10",
    )
    jobs = load_alibaba_jobs(path, skip_bad_rows=True)
    # a quote inside an unquoted cell is a character of it, as the csv module reads it
    assert jobs.name == ["p2", "p3", "p4"]
    assert jobs.skipped == {"bad_row": 1}
    assert jobs.allowed[1] == ('A10"',)


# --------------------------------------------------------------------------- class 7: cells


_GOOD = st.integers(min_value=0, max_value=10**6)
_HOSTILE = st.sampled_from(
    ["nan", "inf", "-inf", "1e400", "-1", "9" * 5000, "0x10", " x", "1e23",
     "2023-02-30", "\u0661", "１", "1_0", "yes", "true", '"'],
)  # fmt: skip


@given(
    rows=st.lists(
        st.tuples(st.booleans(), _GOOD, _GOOD, _HOSTILE, st.sampled_from(range(1, 9))),
        min_size=1,
        max_size=6,
    )
)
def test_pod_rows_load_as_written_or_are_counted(
    rows: list[tuple[bool, int, int, str, int]],
) -> None:
    """Each generated row carries the values it meant to write: a row written good must load
    with exactly those values; a row with a hostile cell must be reported (a located error) or,
    with skip_bad_rows, counted — never loaded with a changed value."""
    import tempfile

    lines = []
    meant: dict[str, tuple[float, float, float]] = {}
    bad = 0
    for k, (good, created, length, hostile, gpus) in enumerate(rows):
        name = f"p{k}"
        cells = [name, "0", "0", str(gpus), "1000", "", "", "", str(created),
                 str(created + 2 * length), str(created + length)]  # fmt: skip
        if good:
            meant[name] = (float(created), float(length), float(gpus))
        else:
            cells[(8, 9, 10, 3)[k % 4]] = hostile
            bad += 1
        lines.append(",".join(cells))
    with tempfile.TemporaryDirectory() as tmp:
        path = pods(Path(tmp), *lines)
        try:
            load_alibaba_jobs(path)
        except InputError as exc:
            p = exc.problems[0]
            assert bad
            assert p.file == str(path)
            assert p.line is not None
            assert p.line >= 2
        else:
            assert not bad
        jobs = load_alibaba_jobs(path, skip_bad_rows=True)
        loaded = {
            n: (a, d, g)
            for n, a, d, g in zip(
                jobs.name or [], jobs.arrival_s, jobs.duration_s, jobs.gpus, strict=True
            )
        }
        for name, values in meant.items():
            assert loaded[name] == values
        assert set(loaded) == set(meant)
        assert jobs.skipped == ({"bad_row": bad} if bad else {})
