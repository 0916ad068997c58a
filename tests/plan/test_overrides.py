"""Planner overrides (``--overrides FILE`` and the keyword arguments of ``plan``): every
problem in one round, each naming the file, line, column and field; booleans are never
numbers; special files are refused before reading; good values load as written."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import InputError
from stargate.plan import plan
from stargate.plan.overrides import Overrides, check_overrides, read_overrides
from stargate.scenario.loader import load_scenario
from tests.plan.factory import small

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def default() -> object:
    return load_scenario(None)


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "ov.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize(
    ("text", "line", "column", "field", "words"),
    [
        ("budget_usd: true\n", 1, 1, "budget_usd", "boolean true"),
        ("budget_usd: yes\n", 1, 1, "budget_usd", "boolean true"),
        ("budget_usd: .inf\n", 1, 1, "budget_usd", "finite"),
        ("budget_usd: 1.0e+16\n", 1, 1, "budget_usd", "more than Stargate represents"),
        ("# c\nsupply_per_year:\n  h100: .nan\n", 3, 3, "supply_per_year.h100", "finite"),
        ("supply_per_year: {h100: no}\n", 1, 19, "supply_per_year.h100", "boolean false"),
        ("supply_per_year: {h100: 1.0e+30}\n", 1, 19, "supply_per_year.h100", "more than Stargate"),
        ("exclude_sites: [abilene, 7]\n", 1, 26, "exclude_sites[1]", "must be text"),
    ],
)
def test_bad_value_exits_2_at_file_line_column_field(
    tmp_path: Path, text: str, line: int, column: int, field: str, words: str
) -> None:
    path = write(tmp_path, text)
    code, out = run("plan", "--overrides", path)
    assert code == 2, out
    assert f"{path}:{line}:{column}: {field}: " in out, out
    assert words in out, out
    assert "solving" not in out
    assert "Traceback" not in out


def test_every_problem_in_one_round(tmp_path: Path) -> None:
    # pydantic-style type errors and name checks used to come in two rounds
    path = write(
        tmp_path,
        "budget: 5\nsupply_per_year: {h100: lots, h999: 3}\nexclude_sites: [nowhere]\n"
        "budget_usd: true\n",
    )
    code, out = run("plan", "--overrides", path)
    assert code == 2, out
    for where, words in (
        ("1:1: budget", "unknown field 'budget'"),
        ("2:19: supply_per_year.h100", "supply must be a number"),
        ("2:31: supply_per_year.h999", "unknown accelerator 'h999'"),
        ("3:17: exclude_sites[0]", "unknown site 'nowhere'"),
        ("4:1: budget_usd", "budget_usd must be a number"),
    ):
        assert f"{path}:{where}: {words}" in out, out
    assert "found the boolean true" in out
    lines = [ln.split(": ")[0] for ln in out.splitlines() if ln.startswith(path)]
    assert lines == sorted(lines, key=lambda s: [int(n) for n in s.split(":")[1:]])


def test_excluding_every_site_names_the_file(tmp_path: Path, default: object) -> None:
    sites = ", ".join(s.id for s in default.sites)  # type: ignore[attr-defined]
    path = write(tmp_path, f"exclude_sites: [{sites}]\n")
    code, out = run("plan", "--overrides", path)
    assert code == 2, out
    assert f"{path}:1:1: exclude_sites: these exclusions leave no site" in out


def test_not_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- budget_usd\n")
    code, out = run("plan", "--overrides", path)
    assert code == 2, out
    assert f"{path}:1:1: an overrides file must be a mapping" in out, out


def test_special_files_are_refused_before_reading(tmp_path: Path) -> None:
    code, out = run("plan", "--overrides", str(tmp_path))
    assert code == 2, out
    assert "a folder, not a file" in out, out
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # reading it would block forever
    code, out = run("plan", "--overrides", str(fifo))
    assert code == 2, out
    assert "named pipe" in out, out
    code, out = run("plan", "--overrides", str(tmp_path / "missing.yaml"))
    assert code == 2, out
    assert "file not found" in out, out


def test_good_values_load_as_written(tmp_path: Path, default: object) -> None:
    path = write(
        tmp_path,
        '{"supply_per_year": {"h100": 1234, "gb200": 0.5}, "budget_usd": 5e10, '
        '"exclude_sites": ["milam", "saline", "milam"]}\n',
    )
    ov = read_overrides(path, default)  # type: ignore[arg-type]
    assert ov == Overrides({"h100": 1234.0, "gb200": 0.5}, 5e10, ("milam", "saline"))
    kept = {s.id for s in ov.apply(default).sites}  # type: ignore[arg-type]
    assert kept == {s.id for s in default.sites} - {"milam", "saline"}  # type: ignore[attr-defined]
    assert ov.plan_kwargs() == {"supply_per_year": {"h100": 1234.0, "gb200": 0.5},
                                "budget_usd": 5e10}  # fmt: skip


def test_python_api_refuses_the_same_values() -> None:
    sc = small()
    for kwargs, field in (
        ({"budget_usd": True}, "budget_usd"),
        ({"budget_usd": math.inf}, "budget_usd"),
        ({"supply_per_year": {"a": math.nan}}, "supply_per_year.a"),
        ({"supply_per_year": {"zz": 1}}, "supply_per_year.zz"),
    ):
        with pytest.raises(InputError) as info:
            plan(sc, horizon=(2025, 2026), **kwargs)
        assert info.value.problems[0].path == field, info.value.render()


def test_check_overrides_without_a_file_has_no_location() -> None:
    ov, problems = check_overrides({"budget_usd": -1}, small())
    assert ov is None
    assert problems[0].file is None
    assert problems[0].line is None
    assert "greater than 0" in problems[0].render()
