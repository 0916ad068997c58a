"""The typed result of a simulation: a :class:`SimSummary` whose JSON is the summary dict it
replaced (same keys, same order, same bytes) plus ``provenance``; one result style
(``to_dict``, ``write``, a repr that says what ran and how it went)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from stargate.domain.provenance import SCHEMA_VERSION, content_hash
from stargate.scenario.loader import load_scenario
from stargate.sim.api import simulate
from stargate.sim.result import RunInfo, Serving, SimResult, SimSummary, capacity_phrase
from stargate.sim.synthetic import generate_inference
from tests.report.test_sim_html import EVIL_FLEET, hand_demand, hand_fleet, hand_jobs

#: the keys of the summary dict before it was typed, in its order (the ``--json`` output)
LEGACY_ORDER = [
    "jobs",
    "wait_s",
    "jct_s",
    "makespan_s",
    "utilization",
    "cost_usd",
    "energy_mwh",
    "rofr",
    "exclusivity_bound",
    "share_by_provider",
    "events",
    "accelerator_hours",
    "run",
]
MONTH = "2026-01-01..2026-01-31"


@pytest.fixture(scope="module")
def fleet_run() -> SimResult:
    return simulate(None, ["synthetic?jobs=200&seed=1"], "pool:64", seed=5)


@pytest.fixture(scope="module")
def scenario_run() -> SimResult:
    demand = generate_inference(minutes=60, seed=2, scale=2000.0, workload_class="api-inference")
    return simulate(
        "stargate-2025", ["synthetic?jobs=100&seed=1", demand], horizon=MONTH, without=["rofr"]
    )


def test_the_summary_is_typed(fleet_run: SimResult) -> None:
    s = fleet_run.summary
    assert isinstance(s, SimSummary)
    assert s.jobs.submitted == 200
    assert s.jobs.completed + s.jobs.rejected <= 200
    assert s.run.fleet == "pool:64"
    assert s.run.policy == "greedy"
    assert s.run.seed == 5
    assert s.cost_usd is None
    assert s.inference is None
    assert s.accelerator_hours.killed == s.accelerator_hours.lost + s.accelerator_hours.checkpointed


def test_its_json_is_the_dict_field_for_field(fleet_run: SimResult) -> None:
    data = fleet_run.to_dict()
    assert list(data) == [*LEGACY_ORDER, "provenance"]  # no inference key without inference
    assert fleet_run.summary.to_dict() == data
    assert json.loads(fleet_run.summary_json()) == data
    assert fleet_run.summary_json() == json.dumps(data, indent=2, sort_keys=True) + "\n"
    # the typed summary reads back from its own JSON
    assert SimSummary.model_validate(json.loads(fleet_run.summary_json())) == fleet_run.summary


def test_floats_stay_floats_and_ints_ints(fleet_run: SimResult) -> None:
    data = fleet_run.to_dict()
    assert isinstance(data["utilization"], float)
    assert isinstance(data["events"], int)
    jobs = data["jobs"]
    assert isinstance(jobs, dict)
    assert all(isinstance(v, int) for k, v in jobs.items() if not k.endswith("_by_reason"))


def test_provenance_of_a_scenario_run(scenario_run: SimResult) -> None:
    prov = scenario_run.summary.provenance
    assert prov.scenario_id == "stargate-2025"
    scenario = load_scenario("stargate-2025")
    assert prov.scenario_sha256 == content_hash(scenario.model_dump(mode="json"))
    assert prov.seed == 0
    assert prov.schema_version == SCHEMA_VERSION
    # `rofr` names every right of first refusal of the default: Azure's ROFR on compute of
    # January 2025 and the ship-first right the October 2025 agreement added
    off = ["azure-rofr", "azure-ship-first"]
    assert prov.clauses_off == scenario_run.summary.run.without == off
    assert prov.stargate_version
    assert json.loads(scenario_run.summary_json())["provenance"]["scenario_id"] == "stargate-2025"


def test_provenance_of_a_fleet_run_has_no_scenario(fleet_run: SimResult) -> None:
    prov = fleet_run.to_dict()["provenance"]
    assert isinstance(prov, dict)
    assert prov["scenario_id"] is None
    assert prov["scenario_sha256"] is None
    assert prov["seed"] == 5
    assert prov["clauses_off"] == []


def test_decided_by_only_where_the_broker_placed(scenario_run: SimResult) -> None:
    inf = scenario_run.summary.inference
    assert inf is not None
    (cls,) = inf.classes
    assert cls.serving.provider == "azure"
    assert cls.serving.decided_by
    fleet = simulate(None, [hand_jobs(), hand_demand()], hand_fleet())
    data = json.loads(fleet.summary_json())
    serving = data["inference"]["classes"][0]["serving"]
    assert "decided_by" not in serving
    assert serving["placed"] is True


def test_the_summary_refuses_what_it_never_holds(fleet_run: SimResult) -> None:
    data = fleet_run.to_dict()
    for path, bad in ((("jobs", "submitted"), True), (("run", "seed"), "5"), (("events",), 1.5)):
        broken = json.loads(json.dumps(data))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        with pytest.raises(ValidationError):
            SimSummary.model_validate(broken)
    with pytest.raises(ValidationError):
        SimSummary.model_validate({**data, "wall_s": 1.0})
    with pytest.raises(ValidationError):
        Serving(placed="yes", provider=None, pool=None, accelerator=None)  # type: ignore[arg-type]


def test_repr_says_what_ran_and_how_it_went(scenario_run: SimResult, fleet_run: SimResult) -> None:
    s = scenario_run.summary
    text = repr(scenario_run)
    assert text.startswith("SimResult(scenario='stargate-2025', horizon='2026-01-01..2026-01-31'")
    assert f"{s.jobs.submitted:,} submitted, {s.jobs.completed:,} completed" in text
    assert f"utilization='{s.utilization:.1%}'" in text
    assert s.cost_usd is not None
    assert f"cost='${s.cost_usd:,.2f}'" in text
    fleet = repr(fleet_run)
    # a fleet run with no horizon ends when its last job does: its horizon is to that day
    end = fleet_run.summary.run.end
    assert end is not None
    assert "scenario='fleet pool:64'" in fleet
    assert f"horizon='2026-01-01..{end[:10]}'" in fleet
    assert "cost='not priced'" in fleet


def test_repr_html_is_a_small_escaped_table() -> None:
    r = simulate(None, [hand_jobs()], hand_fleet())
    html = r._repr_html_()
    assert html.startswith("<table>")
    assert html.endswith("</table>")
    assert html.count("<tr>") == 5
    assert EVIL_FLEET not in html
    assert "&lt;script&gt;fleet&lt;/script&gt;" in html


def test_write_keeps_its_file_names(fleet_run: SimResult, tmp_path: Path) -> None:
    paths = fleet_run.write(tmp_path / "out")
    assert [p.name for p in paths] == [
        "jobs.parquet",
        "events.parquet",
        "utilization.parquet",
        "summary.json",
    ]
    assert (tmp_path / "out" / "summary.json").read_text() == fleet_run.summary_json()


def test_capacity_phrase_reads_the_typed_run_and_the_dict_alike(scenario_run: SimResult) -> None:
    run = scenario_run.summary.run
    assert isinstance(run, RunInfo)
    assert capacity_phrase(run) == capacity_phrase(run.model_dump())
    # the fleet of a scenario run is what the lab holds: its reservations and own pools
    proc = scenario_run.procurement
    assert proc is not None
    first = datetime.fromisoformat(run.start).date()
    on = [h for h in proc.held if h.on(first)]
    assert capacity_phrase(run).startswith(
        f"{sum(h.accelerators for h in on):,} accelerators in {len(on)} pools online at the start"
    )


def test_the_json_schema_describes_the_summary_json(
    fleet_run: SimResult, scenario_run: SimResult
) -> None:
    """The schema of the typed summary (as ``stargate schema --output summary`` will print it)
    accepts what summary.json holds, inference included, and refuses a misspelt key."""
    import jsonschema

    schema = SimSummary.model_json_schema(mode="serialization")
    for r in (fleet_run, scenario_run):
        jsonschema.validate(json.loads(r.summary_json()), schema)
    bad = {**json.loads(fleet_run.summary_json())}
    bad["jobs"] = {**bad["jobs"], "complete": 1}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
