"""`place --detail`: full candidate tables on demand; large batches keep each decision's
summary (chosen pool, cost, deciding clause, reason code) without them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.broker.bench import request_file_items
from stargate.cli.broker import AUTO_FULL_MAX
from stargate.cli.main import app

runner = CliRunner()
SUMMARY_FIELDS = {
    "request_id",
    "placed",
    "provider",
    "site",
    "pool",
    "accelerator",
    "count",
    "start",
    "finish",
    "cost_usd",
    "decided_by",
    "reason_code",
    "rofr",
    "exclusivity",
    "candidates",
    "candidates_considered",
    "candidates_feasible",
    "explanation",
}


def batch(tmp_path: Path, n: int) -> Path:
    f = tmp_path / f"batch-{n}.json"
    f.write_text(json.dumps({"requests": request_file_items(n, seed=1)}))
    return f


def place(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["place", *args])
    return result.exit_code, result.output


def test_auto_is_full_for_small_files_and_summary_above(tmp_path: Path) -> None:
    small = batch(tmp_path, 5)
    code, out = place(str(small), "--json")
    assert code == 0, out
    assert all(len(d["candidates"]) == d["candidates_considered"] for d in json.loads(out))
    large = batch(tmp_path, AUTO_FULL_MAX + 1)
    code, out = place(str(large), "--json")
    assert code == 0, out
    decisions = json.loads(out)
    assert len(decisions) == AUTO_FULL_MAX + 1
    for d in decisions:
        assert SUMMARY_FIELDS <= d.keys()
        assert d["candidates"] == ([] if not d["placed"] else d["candidates"])
        if d["placed"]:
            assert [c["pool"] for c in d["candidates"]] == [d["pool"]]
            assert d["cost_usd"] is not None
            assert d["reason_code"] is None
        else:
            assert d["reason_code"]


def test_summary_decides_the_same_as_full(tmp_path: Path) -> None:
    f = batch(tmp_path, 40)
    _, full = place(str(f), "--json", "--detail", "full")
    _, summary = place(str(f), "--json", "--detail", "summary")
    keys = ("request_id", "placed", "pool", "start", "finish", "cost_usd", "decided_by")
    a = [tuple(d[k] for k in keys) for d in json.loads(full)]
    b = [tuple(d[k] for k in keys) for d in json.loads(summary)]
    assert a == b
    assert any(p for _, p, *_ in a)


def test_summary_text_one_line_per_request(tmp_path: Path) -> None:
    f = batch(tmp_path, 30)
    code, out = place(str(f), "--detail", "summary")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 31
    assert lines[-1].endswith("--detail full lists every candidate")
    assert all(line.startswith("req-") for line in lines[:-1])
    assert any("decided by" in line and "placed on" in line for line in lines)


@pytest.mark.parametrize("value", ["everything", "FULL", ""])
def test_bad_detail_exit_2(tmp_path: Path, value: str) -> None:
    code, out = place(str(batch(tmp_path, 2)), "--detail", value)
    assert code == 2, out
    assert "--detail" in out, out
    assert "auto, summary or full" in out, out
