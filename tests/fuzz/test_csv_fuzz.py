"""Property: a CSV table beside a scenario with one hostile cell is refused at that cell's line
and column, or loads holding exactly the value the cell meant; a mangled table is refused
located, never loses a row silently.

The table is the minimal scenario's accelerators, written to ``accelerators.csv`` with
Python's csv writer (so the cell's text reaches the reader exactly as generated).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from stargate.scenario.loader import check_scenario
from tests.conftest import minimal
from tests.fuzz.checks import assert_clean_exit, assert_located, budget, invoke, time_bound
from tests.fuzz.values import REFUSE, Written, same, scalars, verdict

COLUMNS: list[tuple[str, str]] = [
    ("id", "id"),
    ("name", "text"),
    ("vendor", "text"),
    ("bf16_dense_tflops", "number"),
    ("memory_gb", "number"),
    ("tdp_w", "number"),
    ("unit_price_usd", "money"),
    ("available_from", "day"),
    ("throughput.training", "number"),
    ("throughput.inference", "number"),
]

ROW = {
    "id": "h100",
    "name": "H100",
    "vendor": "NVIDIA",
    "bf16_dense_tflops": "989",
    "memory_gb": "80",
    "tdp_w": "700",
    "unit_price_usd": "27500",
    "available_from": "2022-09-20",
    "throughput.training": "1.0",
    "throughput.inference": "1.0",
}


def write_table(tmp: Path, rows: list[dict[str, str]] | str) -> tuple[Path, Path]:
    data = minimal()
    data["accelerators"] = "accelerators.csv"
    scenario = tmp / "s.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    table = tmp / "accelerators.csv"
    if isinstance(rows, str):
        table.write_text(rows, encoding="utf-8")
    else:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([c for c, _ in COLUMNS])
        for row in rows:
            writer.writerow([row[c] for c, _ in COLUMNS])
        table.write_text(buf.getvalue(), encoding="utf-8")
    return scenario, table


def loaded(scenario: Any, column: str) -> Any:
    acc = scenario.accelerators[0]
    if column.startswith("throughput."):
        return acc.throughput[column.split(".", 1)[1]]
    return getattr(acc, column)


@budget(50)
@given(column=st.sampled_from(COLUMNS), w=scalars)
def test_one_hostile_cell_is_refused_at_it_or_loaded_exactly(
    tmp_path_factory: pytest.TempPathFactory, column: tuple[str, str], w: Written
) -> None:
    name, kind = column
    assume(w.text.strip() == w.text and w.text != "")  # cells are stripped; empty = left out
    tmp = tmp_path_factory.mktemp("csv")
    scenario, table = write_table(tmp, [{**ROW, name: w.text}])
    with time_bound():
        result = check_scenario(scenario)
    want = verdict(kind, w)
    if result.ok:
        assert result.scenario is not None
        assert want.rule != REFUSE, f"{name} cell {w} was accepted; must be refused"
        got = loaded(result.scenario, name)
        assert same(got, want.expected), (
            f"silent change: cell {name} = {w.text!r} (meaning {want.expected!r}) loaded as {got!r}"
        )
    elif want.rule == REFUSE:
        assert_located(result.problems, str(table), line=2, path=f"accelerators[0].{name}")
    else:
        assert_located(result.problems, str(table))
    cli = invoke(["validate", str(scenario)])
    assert_clean_exit(cli, ["validate", str(scenario)])


MANGLES: dict[str, Callable[[str], str]] = {
    "extra cell": lambda text: text.replace("\n", ",surplus\n", 2).replace(",surplus", "", 1),
    "unterminated quote": lambda text: text.rstrip("\n") + '\nh200,"H200,NVIDIA\n',
    "NUL byte": lambda text: text + "\x00\n",
    "duplicate column": lambda text: text.replace("vendor", "name", 1),
    "empty header": lambda text: "\n" + text,
    "BOM and CRLF": lambda text: "\ufeff" + text.replace("\n", "\r\n"),
    "header only": lambda text: text.split("\n", 1)[0] + "\n",
    "blank lines": lambda text: text.replace("\n", "\n\n"),
    "nothing": lambda text: "",
}


@budget(30)
@given(
    mangle=st.sampled_from(sorted(MANGLES)),
    n_rows=st.integers(1, 5),
)
def test_a_mangled_table_is_refused_located_or_loses_no_row(
    tmp_path_factory: pytest.TempPathFactory, mangle: str, n_rows: int
) -> None:
    tmp = tmp_path_factory.mktemp("mangle")
    # the first row is the h100 the scenario's pools use; the others are spares
    rows = [ROW] + [{**ROW, "id": f"acc-{i}", "name": f"Acc {i}"} for i in range(1, n_rows)]
    _, table = write_table(tmp, rows)
    text = MANGLES[mangle](table.read_text(encoding="utf-8"))
    scenario, table = write_table(tmp, text)
    result = check_scenario(scenario)
    if result.ok:
        assert result.scenario is not None
        # every row of the table is an accelerator: none was lost or merged
        assert [a.id for a in result.scenario.accelerators] == [r["id"] for r in rows], mangle
    else:
        assert_located(result.problems, str(table))
        if mangle not in ("header only", "nothing"):  # (those leave the list empty: s.yaml)
            assert any(p.file == str(table) for p in result.problems), mangle
    cli = invoke(["validate", str(scenario)])
    assert_clean_exit(cli, ["validate", str(scenario)])
