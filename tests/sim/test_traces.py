"""Trace loaders: the real public traces (when ../shared is present), source specs, default
paths, and bad input — every bad row located by file, line and column, or skipped and counted."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stargate.errors import InputError, Problem
from stargate.sim import traces
from stargate.sim.traces import (
    load_alibaba_jobs,
    load_alibaba_nodes,
    load_azure_demand,
    load_fleet,
    load_philly_jobs,
    load_philly_runtimes,
    load_spot_nodes,
    load_workload,
    parse_source,
    pool_fleet,
    read_alibaba_pods,
    trace_path,
)
from stargate.sim.traces import paths as trace_paths
from stargate.sim.workload import DEFAULT_TRAINING_CLASS, InferenceDemand, JobTable
from tests.conftest import ROOT

ALI = "alibaba-gpu-2023"


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- Alibaba pods


def test_alibaba_default_pod_list(shared_traces: Path) -> None:
    path = shared_traces / ALI / "openb_pod_list_default.csv"
    rows = rows_of(path)
    jobs = load_alibaba_jobs(path)
    assert len(rows) == 8152
    assert jobs.skipped == {"cpu_only": 1088, "never_scheduled": 861}
    assert len(jobs) == 6203 == len(rows) - 1088 - 861
    assert (jobs.duration_s >= 0).all()
    assert (jobs.gpus > 0).all()
    assert (np.diff(jobs.arrival_s) >= 0).all()
    assert set(jobs.workload_class) == {DEFAULT_TRAINING_CLASS}
    assert jobs.source == str(path)
    # fractional shares: gpu_milli / 1000 of one GPU when num_gpu == 1 and gpu_milli < 1000
    expected = {
        r["name"]: (int(r["gpu_milli"]) / 1000 if r["num_gpu"] == "1" else float(r["num_gpu"]))
        for r in rows
        if r["num_gpu"] != "0" and r["scheduled_time"]
    }
    assert jobs.name is not None
    assert dict(zip(jobs.name, jobs.gpus.tolist(), strict=True)) == expected
    assert int((jobs.gpus < 1).sum()) == sum(1 for g in expected.values() if g < 1) > 2000
    i = jobs.name.index("openb-pod-0001")
    assert jobs.gpus[i] == 0.46
    assert jobs.arrival_s[i] == 427061
    assert jobs.duration_s[i] == 12902960 - 427061
    assert set(jobs.gpus[jobs.gpus >= 1].tolist()) == {1.0, 2.0, 4.0, 8.0}
    assert all(a is None for a in jobs.allowed)  # the default list has no type constraints


def test_gpu_spec_types(shared_traces: Path) -> None:
    jobs = load_workload(f"{ALI}:{shared_traces / ALI / 'openb_pod_list_gpuspec20.csv'}")
    kinds = {a for a in jobs.allowed if a is not None}
    assert ("T4",) in kinds
    assert ("V100M16", "V100M32") in kinds
    assert all(len(set(a)) == len(a) for a in kinds)  # 'V100M16|V100M32|V100M32' deduplicated
    assert sum(a is not None for a in jobs.allowed) > 1000


def test_limit_keeps_the_earliest(shared_traces: Path) -> None:
    path = shared_traces / ALI / "openb_pod_list_default.csv"
    jobs = load_workload(f"{ALI}:{path}?limit=100")
    assert len(jobs) == 100
    assert jobs.skipped["limit"] == 6103
    full = load_alibaba_jobs(path)
    assert np.array_equal(jobs.arrival_s, full.arrival_s[:100])


def test_default_path_finds_the_shared_copy(shared_traces: Path) -> None:
    jobs = load_workload(ALI)
    assert isinstance(jobs, JobTable)
    assert len(jobs) == 6203
    # a folder as PATH means the default file in it
    assert len(load_workload(f"{ALI}:{shared_traces / ALI}")) == 6203


def test_packing_variant_is_refused_as_a_job_trace(shared_traces: Path) -> None:
    path = shared_traces / ALI / "openb_pod_list_multigpu20.csv"
    with pytest.raises(InputError) as exc:
        load_workload(f"{ALI}:{path}")
    text = str(exc.value)
    assert "openb_pod_list_multigpu20.csv:1" in text
    assert "no creation, scheduled or deletion times" in text
    assert "packing experiment" in text
    assert "--mode packing" in text


# --------------------------------------------------------------------------- Azure LLM


def test_azure_demand_per_minute(shared_traces: Path) -> None:
    path = shared_traces / "azure-llm-2023" / "AzureLLMInferenceTrace_conv.csv"
    rows = rows_of(path)
    demand = load_workload("azure-llm-2023")
    assert isinstance(demand, InferenceDemand)
    assert demand.workload_class == "chatgpt-inference"
    assert len(rows) == 19366 == int(demand.requests_per_min.sum())
    assert len(demand) == 59  # 18:15:46 to 19:14:08
    prompt = sum(int(r["ContextTokens"]) for r in rows)
    output = sum(int(r["GeneratedTokens"]) for r in rows)
    assert (demand.prompt_tokens_per_s * 60).sum() == pytest.approx(prompt, abs=1e-6)
    assert (demand.output_tokens_per_s * 60).sum() == pytest.approx(output, abs=1e-6)
    assert prompt == 22361870
    assert output == 4088665
    assert demand.tokens_per_s.sum() * 60 == pytest.approx(prompt + output)
    # the first minute, counted by hand from the file
    first = [r for r in rows if r["TIMESTAMP"] < "2023-11-16 18:16:46.6805900"]
    assert demand.requests_per_min[0] == len(first)


def test_azure_scale(shared_traces: Path) -> None:
    base = load_workload("azure-llm-2023")
    scaled = load_workload("azure-llm-2023?scale=10")
    assert np.allclose(scaled.prompt_tokens_per_s, 10 * base.prompt_tokens_per_s)
    assert np.allclose(scaled.output_tokens_per_s, 10 * base.output_tokens_per_s)
    assert int(scaled.requests_per_min.sum()) == 193660


def test_azure_timestamps_with_offsets_and_unsorted(tmp_path: Path) -> None:
    path = tmp_path / "conv.csv"
    path.write_text(
        "TIMESTAMP,ContextTokens,GeneratedTokens\n"
        "2023-11-16 18:01:30+00:00,10,1\n"
        "2023-11-16 19:00:00+01:00,20,2\n"  # 18:00:00 UTC: the earliest
        "2023-11-16 18:02:00.5,30,3\n"
    )
    d = load_azure_demand(path)
    assert d.requests_per_min.tolist() == [1, 1, 1]
    assert (d.prompt_tokens_per_s * 60).tolist() == pytest.approx([20, 10, 30])


# --------------------------------------------------------------------------- Philly


def test_philly_runtimes_and_jobs(shared_traces: Path) -> None:
    path = shared_traces / "philly-2017" / "philly_runtime.csv"
    runtimes = load_philly_runtimes(path)
    assert runtimes.dtype == np.float64
    assert len(runtimes) == 83154
    assert runtimes.min() >= 0
    jobs = load_workload("philly-2017?rate_per_h=120&seed=7")
    assert len(jobs) == 83154
    assert (jobs.gpus == 1).all()
    assert sorted(jobs.duration_s.tolist()) == sorted(runtimes.tolist())
    assert (np.diff(jobs.arrival_s) >= 0).all()
    assert jobs.arrival_s[0] > 0
    mean_gap = float(np.diff(jobs.arrival_s).mean())
    assert mean_gap == pytest.approx(30.0, rel=0.03)  # 3600 / 120
    again = load_philly_jobs(path, rate_per_h=120, seed=7)
    assert np.array_equal(again.arrival_s, jobs.arrival_s)
    assert np.array_equal(again.duration_s, jobs.duration_s)
    other = load_philly_jobs(path, rate_per_h=120, seed=8)
    assert not np.array_equal(other.duration_s, jobs.duration_s)
    small = load_workload("philly-2017?limit=500")
    assert len(small) == 500
    assert small.skipped == {"limit": 83154 - 500}


# --------------------------------------------------------------------------- fleets


def test_alibaba_node_list_fleet(shared_traces: Path) -> None:
    path = shared_traces / ALI / "openb_node_list_gpu_node.csv"
    rows = rows_of(path)
    fleet = load_fleet(ALI)
    assert len(rows) == 1213 == sum(p.nodes for p in fleet.pools)
    assert fleet.count == sum(int(r["gpu"]) for r in rows) == 6212
    assert not fleet.any_type
    assert fleet.skipped == {}
    for p in fleet.pools:
        assert re.fullmatch(r"[a-z0-9-]+", p.id)
    by_id = {p.id: p for p in fleet.pools}
    assert len(by_id) == len(fleet.pools) == 12
    assert by_id["v100m16-x8"].accelerator == "V100M16"
    assert (by_id["v100m16-x8"].nodes, by_id["v100m16-x8"].per_node) == (8, 8)
    assert by_id["g2-x8"].nodes == 549
    assert by_id["t4-x2"].nodes == 387
    assert {p.accelerator for p in fleet.pools} == {
        "P100",
        "T4",
        "V100M16",
        "V100M32",
        "A10",
        "G2",
        "G3",
    }


def test_all_node_list_counts_cpu_nodes(shared_traces: Path) -> None:
    fleet = load_fleet(f"{ALI}:{shared_traces / ALI / 'openb_node_list_all_node.csv'}")
    assert fleet.skipped == {"cpu_only": 310}
    assert sum(p.nodes for p in fleet.pools) == 1213
    assert fleet.count == 6212


def test_spot_fleet(shared_traces: Path) -> None:
    rows = rows_of(shared_traces / "alibaba-spot-gpu-2026" / "node_info_df.csv")
    fleet = load_fleet("alibaba-spot-gpu-2026")
    assert sum(p.nodes for p in fleet.pools) == 4278 == len(rows)
    assert fleet.count == sum(int(r["gpu_capacity_num"]) for r in rows)
    by_id = {p.id: p for p in fleet.pools}
    a100 = by_id["a100-sxm4-80gb-x8"]
    assert (a100.accelerator, a100.nodes, a100.per_node) == ("A100-SXM4-80GB", 432, 8)
    assert by_id["gpu-series-1-x1"].accelerator == "GPU-series-1"


def test_pool_fleet() -> None:
    f = load_fleet("pool:64")
    assert f.any_type
    assert f.name == "pool:64"
    assert f.count == 64
    assert [(p.id, p.accelerator, p.nodes, p.per_node) for p in f.pools] == [("pool", "any", 8, 8)]
    f = pool_fleet(10)
    assert [(p.nodes, p.per_node) for p in f.pools] == [(10, 1)]
    assert f.count == 10


@pytest.mark.parametrize("spec", ["pool:0", "pool:-8", "pool:abc", "pool:1.5", "pool"])
def test_pool_fleet_bad_size(spec: str) -> None:
    with pytest.raises(InputError, match=r"pool:N"):
        load_fleet(spec)


def test_fleet_from_nodes_keeps_slug_collisions_apart() -> None:
    fleet = traces.fleet_from_nodes("x", [("A-10", 1), ("A10", 1), ("a 10", 1), ("A10", 1)])
    assert sorted(p.id for p in fleet.pools) == ["a-10-x1", "a-10-x1-2", "a10-x1"]
    assert fleet.count == 4


# --------------------------------------------------------------------------- specs and registry


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("alibaba-gpu-2023", ("alibaba-gpu-2023", None, {})),
        (
            "alibaba-gpu-2023:/path/pods.csv?limit=1000",
            ("alibaba-gpu-2023", "/path/pods.csv", {"limit": "1000"}),
        ),
        ("azure-llm-2023?scale=10", ("azure-llm-2023", None, {"scale": "10"})),
        ("synthetic?jobs=20000&seed=3", ("synthetic", None, {"jobs": "20000", "seed": "3"})),
        ("pool:512", ("pool", "512", {})),
        ("x:C:/dir/file.csv", ("x", "C:/dir/file.csv", {})),
    ],
)
def test_parse_source(spec: str, expected: tuple[str, str | None, dict[str, str]]) -> None:
    assert tuple(parse_source(spec)) == expected


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("", "empty"),
        (":pods.csv", "no name"),
        ("alibaba-gpu-2023:", "no path"),
        ("azure-llm-2023?", "no parameters"),
        ("azure-llm-2023?scale", "no '=value'"),
        ("azure-llm-2023?=3", "no name"),
        ("azure-llm-2023?scale=1&scale=2", "given twice"),
        ("azure-llm-2023?scale=1&&x=2", "no '=value'"),
        ("bad name:x", "not a source name"),
    ],
)
def test_parse_source_malformed(spec: str, why: str) -> None:
    with pytest.raises(InputError, match=re.escape(why)) as exc:
        parse_source(spec)
    assert "NAME[:PATH]" in str(exc.value)


def test_unknown_names_suggest() -> None:
    with pytest.raises(InputError, match=r"did you mean 'alibaba-gpu-2023'"):
        load_workload("alibaba-gpu-2032")
    with pytest.raises(InputError, match=r"valid names: .*azure-llm-2023.*synthetic"):
        load_workload("nothing-like-it")
    with pytest.raises(InputError, match=r"did you mean 'alibaba-spot-gpu-2026'"):
        load_fleet("alibaba-spot-gpu-2062")
    assert set(traces.WORKLOADS) == {
        "alibaba-gpu-2023",
        "azure-llm-2023",
        "forecast",
        "philly-2017",
        "synthetic",
    }
    assert set(traces.FLEETS) == {"alibaba-gpu-2023", "alibaba-spot-gpu-2026", "pool"}


def test_parameters_are_checked() -> None:
    with pytest.raises(
        InputError, match=r"unknown azure-llm-2023 parameter 'sacle'.*did you mean 'scale'"
    ):
        load_workload("azure-llm-2023?sacle=2")
    with pytest.raises(
        InputError, match=r"invalid value for azure-llm-2023 parameter 'scale'.*above 0.*found '-1'"
    ):
        load_workload("azure-llm-2023?scale=-1")
    with pytest.raises(InputError, match=r"parameter 'limit'.*whole number from 1 to 10,000,000"):
        load_workload("alibaba-gpu-2023?limit=0")
    with pytest.raises(InputError, match=r"parameter 'rate_per_h'"):
        load_workload("philly-2017?rate_per_h=nan")


def test_missing_default_copy_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setattr(trace_paths, "trace_dirs", lambda data_dir=None: dirs)
    with pytest.raises(InputError) as exc:
        load_workload("azure-llm-2023")
    text = str(exc.value)
    assert "no local copy of trace 'azure-llm-2023'" in text
    assert str(tmp_path / "a" / "azure-llm-2023") in text
    assert str(tmp_path / "b" / "azure-llm-2023") in text
    assert "stargate trace fetch azure-llm-2023" in text


def test_data_dir_env_is_searched_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "alibaba-gpu-2023"
    folder.mkdir()
    (folder / "openb_pod_list_default.csv").write_text(POD_HEADER + "\n" + POD_GOOD[0] + "\n")
    monkeypatch.setenv("STARGATE_DATA_DIR", str(tmp_path))
    assert traces.trace_dirs()[0] == tmp_path.resolve()
    assert len(load_workload("alibaba-gpu-2023")) == 1
    assert traces.default_trace_dir() == tmp_path


def test_synthetic_hook() -> None:
    pytest.importorskip("stargate.sim.synthetic")
    jobs = load_workload("synthetic?jobs=50&seed=3")
    assert isinstance(jobs, JobTable)
    assert len(jobs) == 50
    with pytest.raises(InputError, match="takes no path"):
        load_workload("synthetic:/x.csv")


# --------------------------------------------------------------------------- bad input

POD_HEADER = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
    "creation_time,deletion_time,scheduled_time"
)
POD_GOOD = [
    "p0,1000,1024,1,1000,,LS,Running,0,100,0",
    "p1,1000,1024,1,500,T4|P100,LS,Running,10,200,12",
    "p2,1000,1024,0,0,,LS,Running,10,200,12",
]
AZURE_HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens"
AZURE_GOOD = [
    "2023-11-16 18:15:46.6805900,374,44",
    "2023-11-16 18:16:50.9951690,396,109",
    "2023-11-16 18:17:51.2224670,879,55",
]
NODE_HEADER = "sn,cpu_milli,memory_mib,gpu,model"
NODE_GOOD = ["n0,64000,262144,2,P100", "n1,96000,786432,8,V100M32", "n2,32000,262144,0,"]
SPOT_HEADER = "gpu_model,gpu_capacity_num,cpu_num,node_name"
SPOT_GOOD = ["A10,1,128,0", "H800,8,192,1", "A10,1,128,2"]
PHILLY_HEADER = "runtime"
PHILLY_GOOD = ["0.0", "12.0", "3600.5"]


def _jobs(path: Path, **kw: Any) -> tuple[int, dict[str, int]]:
    jobs = load_alibaba_jobs(path, **kw)
    return len(jobs), jobs.skipped


def _azure(path: Path, **kw: Any) -> tuple[int, dict[str, int]]:
    demand = load_azure_demand(path, **kw)
    return int(demand.requests_per_min.sum()), demand.skipped


def _nodes(path: Path, **kw: Any) -> tuple[int, dict[str, int]]:
    fleet = load_alibaba_nodes(path, **kw)
    return sum(p.nodes for p in fleet.pools), fleet.skipped


def _spot(path: Path, **kw: Any) -> tuple[int, dict[str, int]]:
    fleet = load_spot_nodes(path, **kw)
    return sum(p.nodes for p in fleet.pools), fleet.skipped


def _philly(path: Path, **kw: Any) -> tuple[int, dict[str, int]]:
    skipped: dict[str, int] = {}
    return len(load_philly_runtimes(path, skipped=skipped, **kw)), skipped


FORMATS: dict[str, tuple[str, list[str], Callable[..., tuple[int, dict[str, int]]], int]] = {
    # name: header, good rows, loader (count loaded, skipped), count from the good rows
    "pods": (POD_HEADER, POD_GOOD, _jobs, 2),
    "azure": (AZURE_HEADER, AZURE_GOOD, _azure, 3),
    "nodes": (NODE_HEADER, NODE_GOOD, _nodes, 2),
    "spot": (SPOT_HEADER, SPOT_GOOD, _spot, 3),
    "philly": (PHILLY_HEADER, PHILLY_GOOD, _philly, 3),
}

BAD_ROWS = [
    # format, bad row, column name, 1-based column, words of the message
    ("pods", "b,1,1,two,1000,,LS,Running,0,10,0", "num_gpu", 4, "not a whole number"),
    ("pods", "b,1,1,-1,1000,,LS,Running,0,10,0", "num_gpu", 4, "below the minimum"),
    ("pods", "b,1,1,1,1500,,LS,Running,0,10,0", "gpu_milli", 5, "more than one GPU"),
    ("pods", "b,1,1,1,0,,LS,Running,0,10,0", "gpu_milli", 5, "no share of a GPU"),
    ("pods", "b,1,1,2,500,,LS,Running,0,10,0", "gpu_milli", 5, "multi-GPU pod"),
    ("pods", ",1,1,1,1000,,LS,Running,0,10,0", "name", 1, "no pod name"),
    ("pods", "b,1,1,1,1000,,LS,Running,yesterday,10,0", "creation_time", 9, "not a time"),
    ("pods", "b,1,1,1,1000,,LS,Running,-5,10,0", "creation_time", 9, "not a time"),
    ("pods", "b,1,1,1,1000,,LS,Running,nan,10,0", "creation_time", 9, "not a time"),
    ("pods", "b,1,1,1,1000,,LS,Running,,10,0", "creation_time", 9, "no time"),
    ("pods", "b,1,1,1,1000,,LS,Running,100,50,100", "deletion_time", 10, "before it was created"),
    ("pods", "b,1,1,1,1000,,LS,Running,0,50,100", "deletion_time", 10, "before it was scheduled"),
    (
        "pods",
        "b,1,1,1,1000,,LS,Running,100,200,50",
        "scheduled_time",
        11,
        "scheduled before it was created",
    ),
    ("pods", "b,1,1,1,1000,,LS,Running,0,,5", "deletion_time", 10, "no time"),
    ("pods", "b,1,1,1,1000,,LS,Running,0,12:00,0", "deletion_time", 10, "not a time"),
    ("pods", "b,1,1,1,1000,,LS", "pod_phase", 8, "7 of 11 columns"),
    ("pods", "b,1,1,1,1000,,LS,Running,0,10,0,extra", "column 12", 12, "12 columns"),
    ("azure", "2023-11-16 18:15:99,1,1", "TIMESTAMP", 1, "not a date and time"),
    ("azure", "soon,1,1", "TIMESTAMP", 1, "not a date and time"),
    ("azure", "2023-11-16 18:15:46,-3,1", "ContextTokens", 2, "below the minimum"),
    ("azure", "2023-11-16 18:15:46,3,12.5", "GeneratedTokens", 3, "not a whole number"),
    ("azure", "2023-11-16 18:15:46,3", "GeneratedTokens", 3, "2 of 3 columns"),
    ("nodes", "n9,1,1,eight,G2", "gpu", 4, "not a whole number"),
    ("nodes", "n9,1,1,8,", "model", 5, "without a GPU model"),
    ("nodes", ",1,1,8,G2", "sn", 1, "no node name"),
    ("spot", "A10,-1,128,9", "gpu_capacity_num", 2, "below the minimum"),
    ("spot", "H800,8", "cpu_num", 3, "2 of 4 columns"),
    ("philly", "abc", "runtime", 1, "not a run time"),
    ("philly", "-1", "runtime", 1, "not a run time"),
    ("philly", "inf", "runtime", 1, "not a run time"),
]


def _write(tmp_path: Path, fmt: str, bad: str | None = None, n_bad: int = 1) -> Path:
    header, good, _, _ = FORMATS[fmt]
    lines = [header, good[0], good[1], *([bad] * n_bad if bad else []), good[2]]
    path = tmp_path / f"{fmt}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("fmt", "bad", "column", "index", "words"),
    BAD_ROWS,
    ids=[f"{r[0]}-{r[2]}-{r[4]}" for r in BAD_ROWS],
)
def test_bad_row_is_located(
    tmp_path: Path, fmt: str, bad: str, column: str, index: int, words: str
) -> None:
    path = _write(tmp_path, fmt, bad)
    load = FORMATS[fmt][2]
    with pytest.raises(InputError) as exc:
        load(path)
    text = str(exc.value)
    assert f"{path}:4:{index}: " in text  # file, line (header = 1), column
    assert column in text
    assert words in text
    assert "--skip-bad-rows" in text
    problem = exc.value.problems[0]
    assert (problem.file, problem.line, problem.column) == (str(path), 4, index)


@pytest.mark.parametrize(
    ("fmt", "bad", "column", "index", "words"),
    BAD_ROWS,
    ids=[f"{r[0]}-{r[2]}-{r[4]}" for r in BAD_ROWS],
)
def test_bad_row_is_skipped_and_counted(
    tmp_path: Path, fmt: str, bad: str, column: str, index: int, words: str
) -> None:
    path = _write(tmp_path, fmt, bad)
    _, _, load, good = FORMATS[fmt]
    warnings: list[Problem] = []
    loaded, skipped = load(path, skip_bad_rows=True, warnings=warnings)
    assert loaded == good
    assert skipped["bad_row"] == 1
    assert len(warnings) == 1
    w = warnings[0]
    assert (w.severity, w.file, w.line, w.column) == ("warning", str(path), 4, index)
    assert words in w.message


def test_skipped_counts_reach_the_tables(tmp_path: Path) -> None:
    jobs = load_alibaba_jobs(_write(tmp_path, "pods", BAD_ROWS[0][1], n_bad=8), skip_bad_rows=True)
    assert jobs.skipped == {"cpu_only": 1, "bad_row": 8}
    fleet = load_alibaba_nodes(_write(tmp_path, "nodes", "n9,1,1,x,G2"), skip_bad_rows=True)
    assert fleet.skipped == {"cpu_only": 1, "bad_row": 1}
    demand = load_azure_demand(_write(tmp_path, "azure", "soon,1,1", 2), skip_bad_rows=True)
    assert demand.skipped == {"bad_row": 2}
    skipped: dict[str, int] = {}
    load_philly_runtimes(_write(tmp_path, "philly", "x"), skip_bad_rows=True, skipped=skipped)
    assert skipped == {"bad_row": 1}
    philly = load_philly_jobs(_write(tmp_path, "philly", "x"), skip_bad_rows=True)
    assert philly.skipped == {"bad_row": 1}


def test_many_bad_rows_keep_a_few_warnings(tmp_path: Path) -> None:
    path = _write(tmp_path, "pods", BAD_ROWS[0][1], n_bad=9)
    warnings: list[Problem] = []
    jobs = load_workload(f"alibaba-gpu-2023:{path}", skip_bad_rows=True, warnings=warnings)
    assert jobs.skipped["bad_row"] == 9
    assert [w.line for w in warnings[:5]] == [4, 5, 6, 7, 8]
    assert "skipped 4 more bad rows (9 in all)" in warnings[5].message
    assert len(warnings) == 6


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty file"),
        (b"  \n\n", "empty file"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "binary data"),
        (b"name,num_gpu\n\xff\xfe,1\n", "not UTF-8"),
    ],
    ids=["empty", "blank", "binary", "latin1"],
)
def test_unreadable_files(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "pods.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=words) as exc:
        load_alibaba_jobs(path)
    assert str(path) in str(exc.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"file not found.*stargate trace fetch"):
        load_alibaba_jobs(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="file not found"):
        load_workload(f"azure-llm-2023:{tmp_path / 'nope.csv'}")
    with pytest.raises(InputError, match=r"node_info_df.csv: file not found"):
        load_fleet(f"alibaba-spot-gpu-2026:{tmp_path}")  # a folder: its default file
    with pytest.raises(InputError, match="a folder, not a file"):
        load_alibaba_jobs(tmp_path)


def test_missing_header_column(tmp_path: Path) -> None:
    path = tmp_path / "pods.csv"
    path.write_text(POD_HEADER.replace(",deletion_time", "") + "\n")
    with pytest.raises(InputError) as exc:
        load_alibaba_jobs(path)
    text = str(exc.value)
    assert f"{path}:1:6: deletion_time (column 6): missing column 'deletion_time'" in text
    path.write_text("TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,3\n")
    with pytest.raises(InputError, match=r":1:3: GeneratedTokens \(column 3\)"):
        load_azure_demand(path)


def test_duplicate_header_column(tmp_path: Path) -> None:
    path = tmp_path / "philly.csv"
    path.write_text("runtime,runtime\n1,2\n")
    with pytest.raises(InputError, match=r":1:2: runtime \(column 2\): column 'runtime' appears"):
        load_philly_runtimes(path)


def test_header_only_files(tmp_path: Path) -> None:
    path = tmp_path / "conv.csv"
    path.write_text(AZURE_HEADER + "\n")
    with pytest.raises(InputError, match="no requests"):
        load_azure_demand(path)
    path.write_text(NODE_HEADER + "\nn0,1,1,0,\n")
    with pytest.raises(InputError, match="no GPU nodes"):
        load_alibaba_nodes(path)
    path.write_text(POD_HEADER + "\n")
    assert len(load_alibaba_jobs(path)) == 0


def test_blank_lines_and_quotes_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "pods.csv"
    path.write_text(POD_HEADER + "\n\n" + '"p0",1000,1024,1,1000,"T4|G2",LS,Running,0,100,0\n\n')
    jobs = load_alibaba_jobs(path)
    assert len(jobs) == 1
    assert jobs.allowed == [("T4", "G2")]
    assert jobs.skipped == {}


# --------------------------------------------------------------------------- real rows, every clone

FIXTURES = ROOT / "tests" / "data" / "traces"
FIXTURE_FILES = [
    f"{ALI}/openb_pod_list_default.csv",
    f"{ALI}/openb_pod_list_multigpu20.csv",
    f"{ALI}/openb_node_list_gpu_node.csv",
    "alibaba-spot-gpu-2026/node_info_df.csv",
    "azure-llm-2023/AzureLLMInferenceTrace_conv.csv",
    "philly-2017/philly_runtime.csv",
]


def test_fixture_pods_as_jobs() -> None:
    jobs = load_alibaba_jobs(FIXTURES / ALI / "openb_pod_list_default.csv")
    assert len(jobs) == 46
    assert jobs.skipped == {"cpu_only": 4}
    assert jobs.name is not None
    assert jobs.name[:2] == ["openb-pod-0000", "openb-pod-0001"]
    assert jobs.arrival_s[:3].tolist() == [0.0, 427061.0, 1558381.0]
    assert jobs.duration_s[:2].tolist() == [12537496.0, 12902960.0 - 427061.0]
    assert jobs.gpus[1] == 0.46
    assert float(jobs.gpus.sum()) == pytest.approx(42.77)
    assert all(a is None for a in jobs.allowed)  # gpu_spec empty: any model


def test_fixture_packing_variant_is_read_for_packing_only() -> None:
    path = FIXTURES / ALI / "openb_pod_list_multigpu20.csv"
    assert len(read_alibaba_pods(path, times=False).pods) == 46
    with pytest.raises(InputError, match="packing experiment"):
        load_alibaba_jobs(path)


def test_fixture_node_lists_as_fleets() -> None:
    fleet = load_fleet(f"{ALI}:{FIXTURES / ALI / 'openb_node_list_gpu_node.csv'}")
    assert {p.id: p.nodes for p in fleet.pools} == {
        "g2-x8": 19,
        "g3-x8": 3,
        "p100-x2": 22,
        "t4-x2": 2,
        "t4-x4": 1,
        "v100m16-x4": 1,
        "v100m32-x8": 2,
    }
    assert fleet.count == 248
    assert not fleet.skipped
    spot = load_spot_nodes(FIXTURES / "alibaba-spot-gpu-2026" / "node_info_df.csv")
    assert {(p.accelerator, p.per_node): p.nodes for p in spot.pools} == {
        ("A10", 1): 29,
        ("A100-SXM4-80GB", 8): 7,
        ("GPU-series-1", 1): 10,
        ("GPU-series-1", 4): 1,
        ("GPU-series-2", 8): 1,
        ("H800", 8): 2,
    }
    assert spot.count == 123


def test_fixture_azure_demand() -> None:
    demand = load_azure_demand(FIXTURES / "azure-llm-2023" / "AzureLLMInferenceTrace_conv.csv")
    # 50 requests from 18:15:46.68 to 18:16:13.14: one minute of demand
    assert demand.requests_per_min.tolist() == [50]
    assert demand.prompt_tokens_per_s.tolist() == [35245 / 60]
    assert demand.output_tokens_per_s.tolist() == [5795 / 60]
    assert demand.workload_class == "chatgpt-inference"


def test_fixture_philly_runtimes_and_jobs() -> None:
    path = FIXTURES / "philly-2017" / "philly_runtime.csv"
    runtimes = load_philly_runtimes(path)
    assert len(runtimes) == 50
    assert float(runtimes.sum()) == 98.0
    jobs = load_philly_jobs(path, seed=1, rate_per_h=60)
    assert len(jobs) == 50
    assert sorted(jobs.duration_s.tolist()) == sorted(runtimes.tolist())


def test_fixtures_are_a_data_folder() -> None:
    """The fixtures are laid out as a data folder: a spec with no path finds them first."""
    jobs = load_workload(ALI, data_dir=FIXTURES)
    assert isinstance(jobs, JobTable)
    assert len(jobs) == 46
    assert jobs.source == str(FIXTURES.resolve() / ALI / "openb_pod_list_default.csv")
    assert load_fleet("alibaba-spot-gpu-2026", data_dir=FIXTURES).count == 123
    philly = load_workload("philly-2017?limit=5", data_dir=FIXTURES)
    assert len(philly) == 5
    assert philly.source.startswith(str(FIXTURES.resolve()))
    assert trace_path(ALI, fleet=True, data_dir=FIXTURES).parent == FIXTURES.resolve() / ALI


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture_is_the_head_of_the_original(shared_traces: Path, name: str) -> None:
    excerpt = (FIXTURES / name).read_bytes()
    assert excerpt.count(b"\n") == 51  # the header and 50 rows
    with (shared_traces / name).open("rb") as f:
        assert f.read(len(excerpt)) == excerpt


# --------------------------------------------------------------------------- data folders


def test_data_dir_is_searched_first_and_named_in_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / "env"
    monkeypatch.setenv("STARGATE_DATA_DIR", str(env))
    dirs = traces.trace_dirs(tmp_path / "given")
    assert dirs[:2] == [(tmp_path / "given").absolute(), env.absolute()]
    assert dirs[2] == traces.user_data_dir()
    monkeypatch.setattr(trace_paths, "checkout_shared_dir", lambda: None)
    with pytest.raises(InputError) as exc:
        load_workload("azure-llm-2023", data_dir=tmp_path / "given")
    text = str(exc.value)
    assert "no local copy of trace 'azure-llm-2023'" in text
    assert str(tmp_path / "given" / "azure-llm-2023") in text
    assert "--data-dir" in text


def test_user_data_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STARGATE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert traces.user_data_dir() == tmp_path / "stargate" / "traces"
    assert traces.default_trace_dir() == tmp_path / "stargate" / "traces"
    for value in ("", "relative/data"):  # unset or not absolute: the XDG default
        monkeypatch.setenv("XDG_DATA_HOME", value)
        expected = Path.home() / ".local" / "share" / "stargate" / "traces"
        assert traces.user_data_dir() == expected


def test_no_search_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared" / "data" / "traces" / "philly-2017"
    shared.mkdir(parents=True)
    (shared / "philly_runtime.csv").write_text("runtime\n1\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("STARGATE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(trace_paths, "checkout_shared_dir", lambda: None)
    assert traces.trace_dirs() == [tmp_path / "xdg" / "stargate" / "traces"]
    assert traces.find_local("philly-2017") is None


def test_checkout_copy_only_from_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert trace_paths.checkout_shared_dir() == ROOT.parent / "shared" / "data" / "traces"
    monkeypatch.setattr(trace_paths, "_CHECKOUT", tmp_path)  # an installed package
    assert trace_paths.checkout_shared_dir() is None
