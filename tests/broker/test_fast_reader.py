"""The fast request readers fall back to the locating reader only on what they raise for
text they cannot read as meant; the locating reader then reports it at its line (exit 2).
Anything else is a bug and is not swallowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.broker import request as request_module
from stargate.broker.request import load_requests
from stargate.cli.main import app
from stargate.domain.model import Scenario

runner = CliRunner()
GOOD = (
    "id: r1\nrequester: lab\nclass: training\nkind: training\n"
    "accelerators: {count: 8, types: any}\nduration_h: 10\n"
)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, ":1:"),
        ("bigint.json", '{"id": "r1", "duration_h": ' + "9" * 5000 + "}", "digits"),
        ("deep.yaml", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("listkey.yaml", "id: r1\n? [a, b]\n: 1\n", ":2:3: mapping key must be a plain name"),
        ("badday.yaml", GOOD + "earliest_start: 2026-13-45\n", ":7:"),
    ],
)
def test_what_the_fast_reader_refuses_is_located(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["place", str(path)])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    assert message in result.output
    assert "internal error" not in result.output
    assert "Traceback" not in result.output


def test_a_bug_in_the_fast_reader_is_not_swallowed(
    tmp_path: Path, fleet: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> object:
        raise KeyError("a bug")

    monkeypatch.setattr(request_module, "_fast_yaml", broken)
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(KeyError, match="a bug"):
        load_requests(path, fleet)


def test_the_fast_reader_reads_a_good_file(tmp_path: Path, fleet: Scenario) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(GOOD, encoding="utf-8")
    reqs, single = load_requests(path, fleet)
    assert single
    assert reqs[0].id == "r1"
