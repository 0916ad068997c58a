"""`stargate simulate` from the command line: the JSON contract, outputs, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from tests.conftest import ANNOUNCED

runner = CliRunner()
#: The fixture scenario (the terms as announced in 2025: Azure's ROFR in force through 2026,
#: Abilene and two more Stargate campuses) for the tests of mechanics that need those terms.
FIXTURE = ["--scenario", str(ANNOUNCED)]
SUMMARY_FIELDS = {
    "jobs",
    "wait_s",
    "jct_s",
    "makespan_s",
    "utilization",
    "cost_usd",
    "energy_mwh",
    "rofr",
    "share_by_provider",
    "events",
    "wall_s",
}


def run(*args: str) -> tuple[int, str]:
    """Exit code and standard output (JSON) — or all output when the command failed."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_json_contract_on_a_pool_fleet() -> None:
    code, out = run(
        "simulate",
        "--fleet",
        "pool:640",
        "--workload",
        "synthetic?jobs=500&seed=2",
        "--policy",
        "easy",
        "--json",
    )
    assert code == 0, out
    s = json.loads(out)
    assert set(s) >= SUMMARY_FIELDS
    assert set(s["jobs"]) >= {"submitted", "completed", "rejected", "skipped"}
    assert set(s["wait_s"]) == {"mean", "p50", "p99"} == set(s["jct_s"])
    assert set(s["rofr"]) >= {"offered", "accepted", "declined", "expired"}
    assert s["jobs"]["submitted"] == 500
    assert s["run"]["policy"] == "easy"


def test_out_writes_tables_summary_and_report(tmp_path: Path) -> None:
    code, out = run(
        "simulate",
        *FIXTURE,
        "--horizon",
        "2026-01-01..2026-02-28",
        "--workload",
        "synthetic?jobs=300&seed=1&size_scale=64",
        "--without",
        "rofr",
        "--out",
        str(tmp_path),
        "--json",
    )
    assert code == 0, out
    for name in (
        "jobs.parquet",
        "events.parquet",
        "utilization.parquet",
        "summary.json",
        "report.html",
    ):
        assert (tmp_path / name).is_file(), name
    jobs = pl.read_parquet(tmp_path / "jobs.parquet")
    assert jobs.height == 300
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "wall_s" not in summary
    assert summary["run"]["without"] == ["azure-rofr"]
    printed = json.loads(out)
    assert printed["baseline"]["run"]["without"] == []
    html = (tmp_path / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")


def test_human_summary() -> None:
    code, out = run("simulate", "--fleet", "pool:64", "--workload", "synthetic?jobs=200")
    assert code == 0, out
    assert "jobs: 200 submitted" in out
    assert "utilization" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--policy", "nosuch"], "unknown policy 'nosuch'"),
        (["--granularity", "rack"], "unknown granularity"),
        (["--horizon", "2026-01-01"], "not a horizon"),
        (["--horizon", "2026-02-01..2026-01-01"], "ends before it starts"),
        (["--workload", "synthtic"], "did you mean 'synthetic'"),
        (["--workload", "synthetic?jobz=3"], "jobz"),
        (["--fleet", "pool:0"], "pool"),
        (["--fleet", "alibaba-gpu-2032"], "did you mean"),
        (["--mode", "pack"], "unknown mode"),
        (["--scenario", "stargate-2024"], "did you mean 'stargate-2025'"),
    ],
)
def test_bad_options_exit_2(args: list[str], expected: str) -> None:
    base = (
        ["simulate"]
        if "--scenario" in args or "--fleet" in args
        else ["simulate", "--fleet", "pool:64"]
    )
    code, out = run(*base, *args)
    assert code == 2, out
    assert expected in out
    assert "Traceback" not in out


def test_bad_trace_rows_stop_or_are_counted(tmp_path: Path) -> None:
    pods = tmp_path / "pods.csv"
    pods.write_text(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time\n"
        "p0,1000,1024,1,1000,,LS,Running,0,100,0\n"
        "p1,1000,1024,1,1000,,LS,Running,50,10,50\n"
        "p2,1000,1024,2,1000,,LS,Running,60,500,70\n"
    )
    code, out = run("simulate", "--fleet", "pool:8", "--workload", f"alibaba-gpu-2023:{pods}")
    assert code == 2, out
    assert f"{pods}:3" in out
    assert "Traceback" not in out
    code, out = run(
        "simulate",
        "--fleet",
        "pool:8",
        "--workload",
        f"alibaba-gpu-2023:{pods}",
        "--skip-bad-rows",
        "--json",
    )
    assert code == 0, out
    s = json.loads(out)
    assert s["jobs"]["submitted"] == 2
    assert s["jobs"]["skipped_by_reason"]["bad_row"] == 1


def test_packing_mode_on_a_five_column_pod_list(tmp_path: Path) -> None:
    pods = tmp_path / "pods.csv"
    pods.write_text(
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
        "a,1000,1024,1,500\nb,1000,1024,1,500\nc,1000,1024,2,1000\n"
        "d,1000,1024,2,1000\n"
    )
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(
        "sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,2,T4\nn1,64000,262144,2,T4\n"
    )
    code, out = run(
        "simulate",
        "--mode",
        "packing",
        "--workload",
        f"alibaba-gpu-2023:{pods}",
        "--fleet",
        f"alibaba-gpu-2023:{nodes}",
        "--json",
    )
    assert code == 0, out
    r = json.loads(out)
    assert r["pods_placed"] == 3
    assert r["first_unplaced"] == "d"
    assert r["allocated_share"] == pytest.approx(0.75)


def test_a_time_less_pod_list_is_refused_in_simulate_mode(tmp_path: Path) -> None:
    pods = tmp_path / "pods.csv"
    pods.write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1000,1024,1,500\n")
    code, out = run("simulate", "--fleet", "pool:8", "--workload", f"alibaba-gpu-2023:{pods}")
    assert code == 2
    assert "--mode packing" in out


def test_without_prints_both_runs_and_the_difference() -> None:
    code, out = run(
        "simulate",
        *FIXTURE,
        "--horizon",
        "2026-01-01..2026-02-28",
        "--workload",
        "synthetic?jobs=300&seed=1&size_scale=64",
        "--without",
        "rofr",
    )
    assert code == 0, out
    assert "Clauses switched off: azure-rofr (--without rofr)" in out
    off, rest = out.split("Baseline: every clause in force", 1)
    base, diff = rest.split("Difference (without rofr − baseline)", 1)
    # the ROFR acts on capacity requests: none is offered with it switched off
    assert "ROFR on capacity requests: 0 offered" in off
    assert "ROFR on capacity requests:" in base
    assert "procurement (monthly, sized from the forecast)" in base
    assert "jobs: completed" in diff
    assert "share of accelerator-hours: azure" in diff
    assert "committed spend" in diff


@pytest.mark.parametrize(
    ("horizon", "expected"),
    [
        ("2022-06-01..2023-06-30", "horizon 2022-06-01..2023-06-30 lies outside"),
        ("2026-01-01..2031-01-01", "horizon 2026-01-01..2031-01-01 lies outside"),
        ("..2031-01-01", "horizon ..2031-01-01 lies outside"),
    ],
)
def test_a_horizon_outside_the_scenarios_is_refused(horizon: str, expected: str) -> None:
    code, out = run("simulate", "--horizon", horizon, "--workload", "synthetic?jobs=10")
    assert code == 2, out
    assert expected in out
    assert "scenario 'stargate-2025', 2023-01-01..2030-12-31" in out
    assert out.startswith("--horizon:")


@pytest.mark.parametrize("fleet", [[], ["--fleet", "pool:8"]])
@pytest.mark.parametrize("horizon", ["9999-12-01..9999-12-31", "2026-01-01..9999-12-31"])
def test_a_horizon_beyond_the_representable_dates_is_refused(
    fleet: list[str], horizon: str
) -> None:
    code, out = run("simulate", *fleet, "--horizon", horizon, "--workload", "synthetic?jobs=5")
    assert code == 2, out
    assert "9999-12" in out
    assert "outside the range Stargate represents" in out
    assert "2199-12-31" in out
    assert "internal error" not in out


def test_header_counts_pools_online_at_the_start_and_during_the_run() -> None:
    args = ["simulate", *FIXTURE, "--horizon", "2026-01-01..2026-12-31", "-w", "synthetic?jobs=50"]
    code, out = run(*args, "--json")
    assert code == 0, out
    data = json.loads(out)
    r = data["run"]
    # the fleet is what the lab holds in 2026 in the fixture: pools online at the start, and
    # those whose term or online day comes during the year (Abilene's second phase, two campuses)
    held = {h["provider"]: h["accelerators"] for h in data["capacity_held"]
            if h["period_end"] == "2026-12-31"}  # fmt: skip
    assert held["stargate"] == 350_000  # Shackelford and Dona Ana, online on 2026-12-31
    abilene = [p for p in data["procurement"] if p["request"].startswith("abilene-phase")]
    assert sum(p["accelerators"] for p in abilene if p["placed"]) == 400_000
    assert r["pools"] == r["pools_online_at_start"] + r["pools_online_during_run"]
    assert r["pools_online_during_run"] >= 3
    assert r["accelerators_online_during_run"] >= 300_000 + 350_000
    code, out = run(*args)
    assert code == 0, out
    assert (
        f"{r['accelerators_online_at_start']:,} accelerators in {r['pools_online_at_start']} "
        f"pools online at the start; {r['pools_online_during_run']} pools "
        f"({r['accelerators_online_during_run']:,} accelerators) come online during the run" in out
    )
    assert "held on 2026-12-31: " in out


def test_a_fleet_run_is_not_priced_unless_given_a_price() -> None:
    args = ["simulate", "--fleet", "pool:64", "--workload", "synthetic?jobs=200&seed=3"]
    code, out = run(*args, "--json")
    assert code == 0, out
    s = json.loads(out)
    assert s["cost_usd"] is None
    code, out = run(*args)
    assert code == 0, out
    assert "cost not priced" in out, out
    assert "$" not in out, out
    code, out = run(*args, "--price", "2.50", "--json")
    assert code == 0, out
    priced = json.loads(out)
    acc = priced["accelerator_hours"]
    assert priced["cost_usd"] == pytest.approx(2.5 * (acc["served"] + acc["lost"]), abs=0.05)


@pytest.mark.parametrize("price", ["nan", "-1", "cheap", "inf", "1e30"])
def test_a_bad_price_is_refused(price: str) -> None:
    code, out = run("simulate", "--fleet", "pool:64", "--price", price)
    assert code == 2, out
    assert out.startswith("--price: not a price")
    assert "USD per accelerator-hour" in out


def test_a_price_on_a_scenario_run_is_refused() -> None:
    code, out = run("simulate", "--price", "2", "--workload", "synthetic?jobs=5")
    assert code == 2, out
    assert "--price" in out
    assert "scenario's pools have their own" in out


def _no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the simulation ran before --out was checked")

    monkeypatch.setattr("stargate.sim.api.simulate", fail)


@pytest.mark.parametrize("where", ["file", "under-file", "proc"])
def test_a_bad_out_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    _no_simulation(monkeypatch)
    a_file = tmp_path / "summary.txt"
    a_file.write_text("kept")
    target = {
        "file": a_file,
        "under-file": a_file / "out",
        "proc": Path("/proc/stargate-out"),  # no folder can be made there
    }[where]
    code, out = run("simulate", "--fleet", "pool:64", "--out", str(target))
    assert code == 2, out
    assert str(target) in out
    assert "internal error" not in out
    assert a_file.read_text() == "kept"


def test_packing_mode_refuses_out(tmp_path: Path) -> None:
    code, out = run(
        "simulate", "--mode", "packing", "--fleet", "pool:8", "-w", "x", "--out", str(tmp_path)
    )
    assert code == 2, out
    assert "--out" in out
    assert "writes no files" in out


@pytest.mark.parametrize(
    ("args", "flag", "words"),
    [
        (["--policy", "nosuch"], "--policy", "unknown policy 'nosuch'"),
        (["--granularity", "rack"], "--granularity", "unknown granularity 'rack'"),
        (["--horizon", "2026..2025"], "--horizon", "ends before it starts"),
        (["--price", "-1"], "--price", "not a price"),
        (["--fleet", "pool:0"], "--fleet", "fleet size must be at least 1"),
    ],
)
def test_engine_parameters_are_reported_as_the_flags_that_set_them(
    args: list[str], flag: str, words: str
) -> None:
    base = [] if "--fleet" in args else ["--fleet", "pool:64"]
    code, out = run("simulate", *base, *args, "-w", "synthetic?jobs=5")
    assert code == 2, out
    assert out.startswith(f"{flag}: "), out
    assert words in out, out


def test_a_bad_responder_is_reported_as_the_flag() -> None:
    code, out = run("simulate", "--responder", "nosuch", "-w", "synthetic?jobs=5")
    assert code == 2, out
    assert out.startswith("--responder: unknown responder 'nosuch'"), out


def test_a_horizon_in_whole_years() -> None:
    code, out = run("simulate", "--horizon", "2026..2026", "-w", "synthetic?jobs=20", "--json")
    assert code == 0, out
    r = json.loads(out)["run"]
    assert r["start"].startswith("2026-01-01")
    assert r["end"].startswith("2027-01-01")


# the hand-made case of tests/sim/test_packing.py, where first-fit and best-fit differ
NODES = "sn,cpu_milli,memory_mib,gpu,model\nv0,1,1,4,V100M16\nt0,1,1,2,T4\n"
PODS = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
    "p0,1,1,1,500\np1,1,1,1,600\nc0,1,1,0,0\np2,1,1,2,1000\np3,1,1,1,400\n"
    "p4,1,1,4,1000\np5,1,1,1,100\n"
)


def _pack(tmp_path: Path, *policy: str) -> tuple[int, str]:
    (tmp_path / "pods.csv").write_text(PODS)
    (tmp_path / "nodes.csv").write_text(NODES)
    return run(
        "simulate",
        "--mode",
        "packing",
        *policy,
        "-w",
        f"alibaba-gpu-2023:{tmp_path / 'pods.csv'}",
        "--fleet",
        f"alibaba-gpu-2023:{tmp_path / 'nodes.csv'}",
        "--json",
    )


def test_packing_mode_selects_its_policy(tmp_path: Path) -> None:
    results = {}
    for args in ((), ("--policy", "first-fit"), ("--policy", "best-fit")):
        code, out = _pack(tmp_path, *args)
        assert code == 0, out
        results[args] = json.loads(out)
    default, first, best = results.values()
    assert default == first
    assert first["policy"] == "first-fit"
    assert best["policy"] == "best-fit"
    # p3 fills T4 GPU 1 exactly under best-fit; first-fit leaves two GPUs partly allocated
    assert (first["partial_gpus"], best["partial_gpus"]) == (2, 1)
    assert best["fragmented_gpus"] < first["fragmented_gpus"]


def test_packing_mode_refuses_a_scheduling_policy(tmp_path: Path) -> None:
    code, out = _pack(tmp_path, "--policy", "greedy")
    assert code == 2, out
    assert out.startswith("--policy: unknown packing policy 'greedy'"), out
    assert "first-fit, best-fit" in out
