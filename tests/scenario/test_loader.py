"""Loading scenarios: embedded and example files, CSV tables, source locations, results."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT, InputError, Problem, did_you_mean
from stargate.scenario.loader import (
    DEFAULT_SCENARIO,
    check_scenario,
    embedded_scenarios,
    load_scenario,
    validate_data,
)
from stargate.scenario.yamlsrc import SourceMap, format_path, read_csv_table, read_yaml
from tests.conftest import ROOT, minimal, write_scenario

runner = CliRunner()


def is_scenario(path: Path) -> bool:
    """A scenario is a YAML mapping with a ``version``; other YAML under examples/ (broker
    requests, ...) is not. A file that does not parse counts, so that it fails loudly."""
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError):
        return True
    return isinstance(data, dict) and "version" in data


def example_files() -> list[Path]:
    """Every scenario under examples/ (others add to it; none is fine)."""
    root = ROOT / "examples"
    if not root.is_dir():
        return []
    files = (p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return sorted(p for p in files if is_scenario(p))


EXAMPLES = example_files()


# --------------------------------------------------------------------------- valid inputs


def test_default_scenario_validates_on_the_command_line() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "valid — scenario 'stargate-2025'" in result.stdout
    assert "warning" not in result.output


@pytest.mark.parametrize("name", embedded_scenarios())
def test_every_embedded_scenario_validates(name: str) -> None:
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output
    assert check_scenario(name).ok


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=str(p.relative_to(ROOT))) for p in EXAMPLES]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no files under examples/ yet"))],
)
def test_every_example_validates(path: Path) -> None:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    loaded = check_scenario(path)
    assert loaded.ok, [p.render() for p in loaded.problems]
    assert loaded.label == str(path)


def test_minimal_scenario_is_valid_and_warns_about_sources(tmp_path: Path) -> None:
    result = check_scenario(write_scenario(tmp_path, minimal()))
    assert result.ok
    assert result.problems == []
    assert result.scenario is not None
    assert result.scenario.id == "mini"
    assert len(result.warnings) == 7  # one per item without a source, each located
    warning = result.warnings[0]
    assert warning.severity == "warning"
    assert "no 'source'" in warning.message
    assert warning.path == "accelerators[0]"
    assert warning.file is not None
    assert warning.file.endswith("s.yaml")
    assert warning.line


def test_check_scenario_accepts_a_path_a_string_or_a_name(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, minimal())
    assert check_scenario(path).ok
    assert check_scenario(str(path)).ok
    assert check_scenario(DEFAULT_SCENARIO).label == "<embedded>/stargate-2025.yaml"
    assert load_scenario(None).id == DEFAULT_SCENARIO


def test_invalid_result_has_no_scenario(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["provider"] = "nobody"
    result = check_scenario(write_scenario(tmp_path, data))
    assert not result.ok
    assert result.scenario is None
    assert [p.path for p in result.problems] == ["sites[0].provider"]


def test_x_keys_hold_anchors_for_merging(tmp_path: Path) -> None:
    """Top-level ``x-`` keys are free (YAML anchors, notes) and `<<: *anchor` merges work."""
    text = yaml.safe_dump(minimal(), sort_keys=False)
    text = text.replace(
        "  costs:\n    facility_capex_usd_per_mw: 10000000\n",
        "  costs:\n    <<: *costs\n    opex_usd_per_mw_year: 5\n",
    )
    text = "x-costs: &costs\n  facility_capex_usd_per_mw: 12000000\nx-note: free text\n" + text
    scenario = load_scenario(write_scenario(tmp_path, text))
    costs = scenario.site("campus").costs
    assert costs is not None
    assert costs.facility_capex_usd_per_mw == Decimal(12_000_000)
    assert costs.opex_usd_per_mw_year == Decimal(5)


def test_dates_may_be_yaml_dates_or_quoted(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal(), sort_keys=False).replace(
        "as_of: '2026-01-01'", "as_of: 2026-01-01"
    )
    assert "as_of: 2026-01-01" in text
    assert load_scenario(write_scenario(tmp_path, text)).as_of == date(2026, 1, 1)


# --------------------------------------------------------------------------- CSV tables

ACCELERATORS_CSV = """\
id,name,vendor,bf16_dense_tflops,memory_gb,tdp_w,unit_price_usd,available_from,throughput.training,throughput.inference,notes
h100,H100,NVIDIA,989,80,700,27500,2022-09-20,1.0,1.0,"a note, with a comma"
b200,B200,NVIDIA,2250,180,1000,35000,2024-12-01,2.0,,
"""

POOLS_CSV = """\
id,accelerator,count,available_from
east-h100,h100,1000,2024-01-01

east-b200,b200,500,2025-01-01
"""


def csv_scenario(tmp_path: Path, pools: str = POOLS_CSV) -> Path:
    data = minimal()
    data["accelerators"] = "accelerators.csv"
    data["sites"][0]["pools"] = "pools.csv"
    data["providers"][0]["prices"].append(
        {"accelerator": "b200", "on_demand_usd_per_accelerator_hour": 14}
    )
    (tmp_path / "accelerators.csv").write_text(ACCELERATORS_CSV)
    (tmp_path / "pools.csv").write_text(pools)
    return write_scenario(tmp_path, data)


def test_csv_tables_beside_the_yaml_load(tmp_path: Path) -> None:
    scenario = load_scenario(csv_scenario(tmp_path))
    h100 = scenario.accelerator("h100")
    assert h100.available_from == date(2022, 9, 20)  # cells are typed like YAML values
    assert h100.unit_price_usd == Decimal(27500)
    assert h100.throughput == {"training": 1.0, "inference": 1.0}  # dotted headers nest
    assert h100.notes == "a note, with a comma"
    b200 = scenario.accelerator("b200")
    assert b200.throughput == {"training": 2.0}  # an empty cell leaves the field out
    assert b200.notes is None
    pools = scenario.site("cloud-east").pools
    assert [(p.id, p.count) for p in pools] == [("east-h100", 1000), ("east-b200", 500)]


def test_csv_table_on_the_command_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(csv_scenario(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "3 pools" in result.stdout


def test_csv_errors_point_at_the_csv_line_and_column(tmp_path: Path) -> None:
    pools = POOLS_CSV.replace("east-b200,b200,500,", "east-b200,b201,500,")
    result = check_scenario(csv_scenario(tmp_path, pools))
    assert not result.ok
    (problem,) = result.problems
    assert problem.file == str(tmp_path / "pools.csv")
    assert problem.line == 4  # the blank line 3 counts
    assert problem.column == 2
    assert problem.path == "sites[0].pools[1].accelerator"
    assert problem.hint == "did you mean 'b200'?"


def test_csv_row_spanning_lines_is_located_where_it_starts(tmp_path: Path) -> None:
    pools = (
        "id,accelerator,count,available_from,source\n"
        'east-h100,h100,1000,2024-01-01,"a source\nover two lines"\n'
        "east-b200,b200,many,2025-01-01,\n"
    )
    (problem,) = check_scenario(csv_scenario(tmp_path, pools)).problems
    assert (problem.line, problem.column) == (4, 3)
    assert problem.path == "sites[0].pools[1].count"


def test_csv_header_problems(tmp_path: Path) -> None:
    pools = "id,accelerator,count,available_from,count,source,source.url\n"
    problems = check_scenario(csv_scenario(tmp_path, pools)).problems
    rendered = "\n".join(p.render() for p in problems)
    assert f"{tmp_path / 'pools.csv'}:1:5: sites[0].pools: duplicate column 'count'" in rendered
    assert "column 'source.url' clashes with a dotted column" in rendered


def test_csv_table_may_not_include_itself(tmp_path: Path) -> None:
    data = minimal()
    data["sites"] = "sites.csv"
    (tmp_path / "sites.csv").write_text("id,name,provider,phases\neast,East,cloud,sites.csv\n")
    result = runner.invoke(app, ["validate", str(write_scenario(tmp_path, data))])
    assert result.exit_code == EXIT_INPUT
    assert "sites.csv:2:4: sites[0].phases: CSV table 'sites.csv' includes itself" in result.output
    assert "Traceback" not in result.output


def test_read_csv_table_records_locations() -> None:
    smap = SourceMap()
    rows, problems = read_csv_table("a,b.c\n1,x\n\n2,\n", "t.csv", ("items",), smap)
    assert problems == []
    assert rows == [{"a": 1, "b": {"c": "x"}}, {"a": 2}]
    loc = smap.locate(("items", 1, "a"))
    assert loc is not None
    assert (loc.file, loc.line, loc.column) == ("t.csv", 4, 1)


# --------------------------------------------------------------------------- YAML reading


def test_read_yaml_maps_paths_to_lines() -> None:
    data, smap, problems = read_yaml("a:\n  b:\n    - x\n    - y: 1\n", "f.yaml")
    assert problems == []
    assert data == {"a": {"b": ["x", {"y": 1}]}}
    loc = smap.locate(("a", "b", 1, "y"))
    assert loc is not None
    assert (loc.line, loc.column) == (4, 7)
    # an unknown tail falls back to the longest known prefix
    loc = smap.locate(("a", "b", 0, "nothing", "here"))
    assert loc is not None
    assert loc.line == 3


def test_read_yaml_reports_every_duplicate_key() -> None:
    _, _, problems = read_yaml("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "f.yaml")
    assert [(p.path, p.line) for p in problems] == [("b.c", 4), ("a", 5)]
    assert all("duplicate key" in p.message for p in problems)


def test_format_path() -> None:
    assert format_path(("contracts", 2, "clauses", 0, "holder")) == "contracts[2].clauses[0].holder"
    assert format_path(()) == ""
    assert format_path((0, "a")) == "[0].a"


# --------------------------------------------------------------------------- errors module


def test_problem_renders_compiler_style() -> None:
    p = Problem(
        "unknown party 'x'",
        path="sites[0].provider",
        file="s.yaml",
        line=3,
        column=5,
        expected="a party id",
        found="'x'",
        hint="did you mean 'y'?",
    )
    assert p.render() == (
        "s.yaml:3:5: sites[0].provider: unknown party 'x' (expected a party id; found 'x'). "
        "did you mean 'y'?"
    )
    assert Problem("bad", file="s.yaml").render() == "s.yaml: bad"
    assert Problem("bad").render() == "bad"
    assert set(p.to_dict()) == {
        "severity",
        "file",
        "line",
        "column",
        "path",
        "message",
        "expected",
        "found",
        "hint",
    }


def test_input_error_from_text() -> None:
    with pytest.raises(InputError, match=r"^something is wrong$") as info:
        raise InputError("something is wrong")
    assert info.value.exit_code == EXIT_INPUT
    assert info.value.problems == [Problem("something is wrong")]


def test_did_you_mean() -> None:
    assert did_you_mean("partys", ["parties", "providers"]) == "did you mean 'parties'?"
    assert did_you_mean("zzz", ["b", "a"]) == "valid names: a, b"
    assert did_you_mean("zzz", ["a"], list_valid=False) is None
    assert did_you_mean("zzz", []) is None
    many = [f"name-{i:02d}" for i in range(20)]
    assert did_you_mean("qq", many, list_valid=True) == (
        "valid names: " + ", ".join(many[:12]) + ", ..."
    )


# --------------------------------------------------------------------------- never a crash

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["lab", "cloudco", "h100", "cloud", "training", "2026-01-01", "2040-12-31"]),
    st.dates().map(date.isoformat),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
)


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _leaf_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _leaf_paths(v, (*path, i))
    return out


_PATHS = _leaf_paths(minimal())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _VALUES), min_size=1, max_size=3))
def test_any_broken_value_gives_problems_not_an_exception(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    data = minimal()
    for path, value in changes:
        target: Any = data
        for key in path[:-1]:
            if isinstance(target, dict) and key in target:
                target = target[key]
            elif isinstance(target, list) and isinstance(key, int) and key < len(target):
                target = target[key]
            else:
                break
        else:
            if isinstance(target, dict | list):
                target[path[-1]] = copy.deepcopy(value)
    result = validate_data(data)  # must not raise
    for problem in result.problems:
        assert problem.message
        assert problem.path or problem.file


def test_integrity_paths_keep_file_indices_when_an_earlier_item_is_invalid() -> None:
    data = minimal()
    data["sites"][0]["pue"] = "high"  # sites[0] fails field validation
    data["sites"][1]["pools"][0]["accelerator"] = "h200"  # an integrity problem in sites[1]
    paths = [p.path for p in validate_data(data).problems]
    assert "sites[0].pue" in paths
    assert "sites[1].pools[0].accelerator" in paths
    assert "sites[0].pools[0].accelerator" not in paths


def test_amendment_changes_naming_unknown_providers_and_clauses() -> None:
    data = minimal()
    clauses = data["contracts"][0]["clauses"]
    clauses[0]["amendments"] = [
        {
            "id": "a1",
            "action": "modify",
            "effective": {"start": "2026-01-01"},
            "changes": {"holder_providers": ["nope"]},
        }
    ]
    clauses[1]["amendments"] = [
        {
            "id": "a2",
            "action": "modify",
            "effective": {"start": "2026-01-01"},
            "changes": {"provider": "clod"},
        }
    ]
    problems = {p.path: p for p in validate_data(data).problems}
    assert "contracts[0].clauses[0].amendments[0].changes.holder_providers[0]" in problems
    bad = problems["contracts[0].clauses[1].amendments[0].changes.provider"]
    assert bad.hint == "did you mean 'cloud'?"


def test_accelerator_without_throughput_is_an_error() -> None:
    data = minimal()
    data["accelerators"][0]["throughput"] = {}
    problems = validate_data(data).problems
    assert any(
        p.path == "accelerators[0].throughput" and "no 'throughput'" in p.message for p in problems
    )


def test_a_key_beside_a_merge_overrides_the_merged_value() -> None:
    text = (
        "x-base: &base\n  life: 14\n  capex: 9\n"
        "a:\n  <<: *base\n  life: 20\n"
        "b:\n  life: 1\n  life: 2\n"
    )
    data, _, problems = read_yaml(text, "m.yaml")
    assert data["a"] == {"life": 20, "capex": 9}
    assert [(p.path, p.line) for p in problems] == [("b.life", 9)]  # explicit twice: an error


def test_forecast_in_the_wrong_unit_is_an_error(tmp_path: Path) -> None:
    data = minimal()
    data["workload_sources"] = [
        {
            "id": "demand",
            "kind": "forecast",
            "forecast": [
                {"year": 2026, "workload_class": "training", "tokens_per_s": 5},
                {"year": 2026, "workload_class": "inference", "accelerator_hours": 5},
                {"year": 2027, "workload_class": "training", "accelerator_hours": 5},
            ],
        }
    ]
    path = write_scenario(tmp_path, data)
    problems = check_scenario(path).problems
    got = {(p.path, p.line is not None) for p in problems}
    assert ("workload_sources[0].forecast[0].tokens_per_s", True) in got
    assert ("workload_sources[0].forecast[1].accelerator_hours", True) in got
    assert len(problems) == 2
