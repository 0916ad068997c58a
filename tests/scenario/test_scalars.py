"""One safe constructor for YAML and CSV scalars, and the limits every model enforces:
values that cannot be constructed or represented are located input errors (exit 2), never an
internal error or a silent change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.scenario.loader import check_scenario
from stargate.scenario.yamlsrc import _cell, read_yaml
from tests.conftest import minimal, write_scenario


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: 2026-02-30", "not a valid date or time: '2026-02-30'"),
        ("a: 0000-01-01", "year 0 is out of range"),
        ("a: 2026-01-01T00:00:00+24:00", "a UTC offset must be less than 24 hours"),
        ("a: 2026-01-01T00:00:00-25:30", "a UTC offset must be less than 24 hours"),
        ("a: !!int seventy", "not valid as !!int: 'seventy'"),
        ("a: !!float cheap", "not valid as !!float: 'cheap'"),
        ("a: !!timestamp soon", "not a valid date or time: 'soon'"),
        ("a: !!bool maybe", "not valid as !!bool"),
        ("a: !!binary aGVsbG8=", "unsupported YAML tag '!!binary'"),
        ("a: !local x", "unsupported YAML tag '!local'"),
        ("a: !!python/name:os.system x", "unsupported YAML tag '!!python/name:os.system'"),
    ],
)
def test_unconstructable_scalars_are_located(text: str, words: str) -> None:
    data, _, problems = read_yaml(f"x: 1\n{text}\n", "f.yaml")
    assert len(problems) == 1, problems
    p = problems[0]
    assert words in p.render()
    assert (p.file, p.line, p.column, p.path) == ("f.yaml", 2, 4, "a")
    assert data == {"x": 1, "a": None}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!int 70", 70),
        ("!!float 1.5", 1.5),
        ("!!str 2026-01-01", "2026-01-01"),
        ("5e10", 5e10),
        ("-1E-3", -1e-3),
        ("1_000", 1000),
        ("e5", "e5"),
    ],
)
def test_values_that_fit_are_read_as_written(text: str, value: Any) -> None:
    data, _, problems = read_yaml(f"a: {text}\n", "f.yaml")
    assert problems == []
    assert data["a"] == value
    assert type(data["a"]) is type(value)


def test_csv_cells_use_the_same_constructor() -> None:
    assert _cell("2026-02-30")[1] is not None
    assert _cell("!!binary aGVsbG8=")[1] is not None
    assert _cell("!!int seventy")[1] is not None
    assert _cell("12") == (12, None)
    assert _cell("a: b") == ("a: b", None)  # not a scalar: text, as before


def _validate(path: Path) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["validate", str(path)])
    return r.exit_code, r.output


def test_bad_csv_cell_is_an_input_error_at_its_cell(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    write_scenario(tmp_path, data)
    (tmp_path / "pools.csv").write_text(
        "id,accelerator,count,available_from\neast-h100,h100,1000,2024-02-30\n"
    )
    code, out = _validate(tmp_path / "s.yaml")
    assert code == 2, out
    assert "pools.csv:2:4" in out
    assert "2024-02-30" in out


@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        (("sites", 0, "pools", 0, "count"), True, "found the boolean true"),
        (("sites", 1, "pue"), True, "found boolean true"),
        (("sites", 0, "pools", 0, "count"), 10**30, "at most 10,000,000"),
        (("sites", 0, "pools", 0, "accelerators_per_node"), 10**9, "at most 1,024"),
        (("contracts", 0, "clauses", 0, "response_window_h"), 1e300, "at most 876,600 h"),
        (("sites", 0, "pools", 0, "available_from"), "9999-01-01", "1900-01-01 to 2199-12-31"),
        (("as_of",), "1066-10-14", "outside the range"),
    ],
)
def test_model_limits(tmp_path: Path, where: tuple[Any, ...], value: Any, words: str) -> None:
    data = minimal()
    target: Any = data
    for k in where[:-1]:
        target = target[k]
    target[where[-1]] = value
    path = write_scenario(tmp_path, data)
    result = check_scenario(path)
    assert not result.ok
    rendered = [p.render() for p in result.problems]
    assert any(words in r for r in rendered), rendered
    dotted = ".".join(str(k) for k in where)
    assert any(p.line is not None for p in result.problems)
    assert dotted.split(".")[-1] in "\n".join(rendered)
    code, _ = _validate(path)
    assert code == 2


def test_yes_is_not_one(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal(), sort_keys=False).replace("count: 1000", "count: yes")
    code, out = _validate(write_scenario(tmp_path, text))
    assert code == 2
    assert "count" in out
    assert "boolean true" in out
