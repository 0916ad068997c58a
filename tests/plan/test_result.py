"""PlanResult as the one result style: to_dict / to_json / write, repr, provenance; plan()
takes a scenario name, a path or a Scenario."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.provenance import SCHEMA_VERSION, content_hash
from stargate.errors import InputError
from stargate.plan import TABLES, PlanResult, PlanStatus, plan
from tests.plan.factory import small
from tests.plan.test_cli_plan import dump

runner = CliRunner()


@pytest.fixture(scope="module")
def without_rofr() -> PlanResult:
    return plan(small(rofr=True), horizon=(2025, 2026), without=["rofr"], baseline=True)


def test_to_dict_carries_provenance_and_baseline(without_rofr: PlanResult) -> None:
    r = without_rofr
    d = r.to_dict()
    sc = small(rofr=True)
    prov = d["provenance"]
    assert isinstance(prov, dict)
    assert prov["schema_version"] == SCHEMA_VERSION
    assert prov["scenario_id"] == sc.id
    assert prov["scenario_sha256"] == content_hash(sc.model_dump(mode="json"))
    assert prov["clauses_off"] == ["rofr"]
    assert prov["seed"] is None
    assert r.baseline is not None
    assert r.baseline.clauses_off == []
    base = d["baseline"]
    assert isinstance(base, dict)
    assert "provenance" not in base
    assert "baseline" not in base
    assert d["cost_difference_usd"] == r.cost_difference_usd
    assert r.objective_usd is not None
    assert r.baseline.objective_usd is not None
    assert r.cost_difference_usd == round(r.objective_usd - r.baseline.objective_usd, 2)
    assert json.loads(r.to_json()) == json.loads(json.dumps(d, default=str))


def test_baseline_only_when_clauses_are_off() -> None:
    r = plan(small(rofr=True), horizon=(2025, 2026), baseline=True, shadow_prices=False)
    assert r.baseline is None
    assert r.cost_difference_usd is None
    assert r.to_dict()["baseline"] is None


def test_write_puts_tables_plan_json_and_log(without_rofr: PlanResult, tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    written = without_rofr.write(out)
    names = {p.name for p in written}
    for name in TABLES:
        assert {f"{name}.csv", f"{name}.parquet"} <= names
        back = pl.read_parquet(out / f"{name}.parquet")
        assert back.equals(getattr(without_rofr, name))
    assert (out / "plan.json").read_text() == without_rofr.to_json()
    log = (out / "solver.log").read_text()
    assert "== the plan without rofr ==" in log
    assert "== the baseline" in log


def test_write_to_an_unwritable_place_is_an_input_error(
    without_rofr: PlanResult, tmp_path: Path
) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError) as exc:
        without_rofr.write(a_file / "sub")
    assert exc.value.problems[0].path == "out_dir"


def test_repr_and_html_say_what_the_plan_is(without_rofr: PlanResult) -> None:
    text = repr(without_rofr)
    assert text.startswith("PlanResult(optimal, objective $")
    assert "horizon 2025..2026 by year, without rofr" in text
    assert "cost difference against every clause in force" in text
    assert "DataFrame" not in text
    assert len(text) < 600
    page = without_rofr._repr_html_()
    assert page.startswith("<div>")
    assert "<table>" in page
    assert "2026" in page


def test_cli_json_is_plan_json_byte_for_byte(tmp_path: Path) -> None:
    f = dump(small(rofr=True), tmp_path / "small.yaml")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["plan", "-s", str(f), "--horizon", "2025..2026", "--without", "rofr", "--json",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (out / "plan.json").read_text()
    d = json.loads(result.stdout)
    assert d["provenance"]["clauses_off"] == ["rofr"]
    assert d["provenance"]["scenario_id"] == "small"


def test_plan_takes_an_embedded_name() -> None:
    r = plan("stargate-2025", horizon="2026..2026", period="year", shadow_prices=False)
    assert r.status == PlanStatus.optimal
    assert r.horizon == (2026, 2026)
    assert r.provenance is not None
    assert r.provenance.scenario_id == "stargate-2025"
    assert r.public_figures == {"2024": 7e9, "2026": 50e9}


def test_plan_takes_a_path(tmp_path: Path) -> None:
    f = dump(small(), tmp_path / "small.yaml")
    by_path = plan(f, horizon=(2025, 2026), shadow_prices=False)
    by_text = plan(str(f), horizon=(2025, 2026), shadow_prices=False)
    assert by_path.status == PlanStatus.optimal
    assert by_path.objective_usd == by_text.objective_usd


@pytest.mark.parametrize(
    ("kwargs", "path", "words"),
    [
        ({"scenario": 42}, "scenario", "not a scenario"),
        ({"scenario": "no-such-scenario"}, None, "no-such-scenario"),
        ({"period": "month"}, "period", "unknown period"),
        ({"gap": 2.0}, "gap", "not a relative MIP gap"),
        ({"gap": True}, "gap", "not a relative MIP gap"),
        ({"time_limit_s": -1.0}, "time_limit_s", "not a time limit"),
        ({"time_limit_s": float("inf")}, "time_limit_s", "not a time limit"),
        ({"horizon": "2020..2030"}, "horizon", "outside the scenario's horizon"),
    ],
)
def test_bad_arguments_name_the_parameter(
    kwargs: dict[str, object], path: str | None, words: str
) -> None:
    args: dict[str, object] = {"scenario": small(), **kwargs}
    scenario = args.pop("scenario")
    with pytest.raises(InputError) as exc:
        plan(scenario, **args)  # type: ignore[arg-type]
    problem = exc.value.problems[0]
    assert words in str(exc.value)
    if path is not None:
        assert problem.path == path
