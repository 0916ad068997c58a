"""The parameter tables of every source (type, range, meaning, default) are the ones
docs/traces.md and docs/synthetic.md show, and one function checks them for every source."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from stargate.errors import InputError
from stargate.sim import synthetic as syn
from stargate.sim.traces import WORKLOADS, check_params
from stargate.sim.workload import Param
from tests.conftest import ROOT


def _row(p: Param) -> tuple[str, str, str]:
    return (p.expected(), p.help, p.default or "—")


def _doc_rows(text: str, cells: int) -> list[list[str]]:
    out = []
    for line in text.splitlines():
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(parts) == cells:
            out.append(parts)
    return out


def test_traces_md_lists_every_trace_parameter() -> None:
    text = (ROOT / "docs" / "traces.md").read_text()
    documented = {
        (src.strip("`"), name.strip("`")): (value, meaning, default)
        for src, name, value, meaning, default in _doc_rows(text, 5)
        if name.startswith("`")
    }
    expected = {
        (source, name): _row(p)
        for source, loader in WORKLOADS.items()
        if source != "synthetic"
        for name, p in loader.params.items()
    }
    assert documented == expected


def _synthetic_section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end)]


@pytest.mark.parametrize(
    ("table", "start", "end"),
    [
        (syn.JOB_PARAM_TABLE, "## Parameters", "`generate_inference(...)`"),
        (syn.INFERENCE_PARAM_TABLE, "`generate_inference(...)`", "## What was fitted"),
    ],
)
def test_synthetic_md_lists_every_parameter(
    table: Mapping[str, Param], start: str, end: str
) -> None:
    text = _synthetic_section((ROOT / "docs" / "synthetic.md").read_text(), start, end)
    documented = {n.strip("`"): (v, m, d) for n, v, m, d in _doc_rows(text, 4)}
    assert documented == {name: _row(p) for name, p in table.items()}
    # and the generator's signature takes exactly these
    import inspect

    fn = syn.generate if table is syn.JOB_PARAM_TABLE else syn.generate_inference
    names = [
        n for n, p in inspect.signature(fn).parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    assert sorted(names) == sorted(table)


@pytest.mark.parametrize(
    ("source", "params", "words"),
    [
        ("philly-2017", {"seed": -1}, "from 0 to"),
        ("philly-2017", {"seed": True}, "whole number"),
        ("philly-2017", {"rate_per_h": float("nan")}, "above 0"),
        ("azure-llm-2023", {"scale": 1e300}, "at most 1,000,000"),
        ("synthetic", {"duration_scale": 1e300}, "at most 340"),
        ("synthetic", {"jobs": "1_000"}, "whole number"),
        ("synthetic", {"job": 5}, "did you mean 'jobs'"),
    ],
)
def test_scenario_params_are_checked_by_the_same_tables(
    source: str, params: dict[str, object], words: str
) -> None:
    with pytest.raises(InputError, match=re.escape(words)):
        check_params(source, params)


def test_good_params_convert_exactly() -> None:
    assert check_params("philly-2017", {"seed": "1e3", "rate_per_h": 30}) == {
        "seed": 1000,
        "rate_per_h": 30.0,
    }
    assert check_params("synthetic", {"jobs": 2.0e4})["jobs"] == 20000
