"""The trace downloader, with the network replaced by local copies: verified, atomic, and never
leaving a partial file behind."""

from __future__ import annotations

import http.client
import json
import shutil
import urllib.error
from email.message import Message
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import InputError
from stargate.sim import fetch as fetch_mod
from stargate.sim.fetch import Download, fetch_trace, sha256_of
from stargate.sim.traces import TRACES
from stargate.sim.traces import paths as trace_paths
from tests.conftest import ROOT


def copy_from(shared: Path, calls: list[str] | None = None) -> Download:
    """A download that copies the file named by the URL from the shared copies."""

    def download(url: str, dest: Path) -> None:
        if calls is not None:
            calls.append(url)
        name = url.rsplit("/", 1)[1]
        matches = list(shared.glob(f"*/{name}"))
        assert len(matches) == 1, url
        shutil.copyfile(matches[0], dest)

    return download


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_catalog_matches_the_shared_copies(shared_traces: Path) -> None:
    for name, info in TRACES.items():
        for f in info.files:
            local = shared_traces / name / f.name
            assert local.stat().st_size == f.size, local
            assert sha256_of(local) == f.sha256, local
            assert f.url.startswith("https://raw.githubusercontent.com/")
            assert f.commit in f.url
            assert len(f.commit) == 40


@pytest.mark.parametrize("name", sorted(TRACES))
def test_fetch_every_trace(shared_traces: Path, tmp_path: Path, name: str) -> None:
    calls: list[str] = []
    paths = fetch_trace(name, tmp_path, download=copy_from(shared_traces, calls))
    assert [p.name for p in paths] == [f.name for f in TRACES[name].files]
    assert all(p.parent == tmp_path / name for p in paths)
    for p in paths:
        assert p.read_bytes() == (shared_traces / name / p.name).read_bytes()
    assert len(calls) == len(paths)
    assert listing(tmp_path) == sorted([name, *(f"{name}/{p.name}" for p in paths)])
    # a second fetch finds them and downloads nothing
    lines: list[str] = []
    again = fetch_trace(
        name, tmp_path, download=copy_from(shared_traces, calls), progress=lines.append
    )
    assert again == paths
    assert len(calls) == len(paths)
    assert all("already present" in line for line in lines)


def test_a_wrong_local_file_is_replaced(shared_traces: Path, tmp_path: Path) -> None:
    folder = tmp_path / "philly-2017"
    folder.mkdir()
    (folder / "philly_runtime.csv").write_text("runtime\n1\n")
    [path] = fetch_trace("philly-2017", tmp_path, download=copy_from(shared_traces))
    assert sha256_of(path) == TRACES["philly-2017"].files[0].sha256


def test_failure_mid_download_leaves_nothing(tmp_path: Path) -> None:
    def broken(url: str, dest: Path) -> None:
        dest.write_bytes(b"runtime\n1.0\n2.")  # half a file, then the connection drops
        raise ConnectionResetError("connection reset by peer")

    with pytest.raises(InputError) as exc:
        fetch_trace("philly-2017", tmp_path, download=broken)
    text = str(exc.value)
    assert "download failed: ConnectionResetError: connection reset by peer" in text
    assert "raw.githubusercontent.com" in text
    assert "philly_runtime.csv" in text
    assert listing(tmp_path) == []  # no partial file, no empty folder


@pytest.mark.parametrize(
    "failure",
    [
        urllib.error.HTTPError("https://x", 404, "Not Found", Message(), None),
        urllib.error.URLError("name or service not known"),
        http.client.IncompleteRead(b"runt", 12),
        ValueError("unknown url type: 'x'"),
        OSError(28, "No space left on device"),
    ],
    ids=type,
)
def test_every_network_failure_is_refused_without_leftovers(
    tmp_path: Path, failure: Exception
) -> None:
    def fails(url: str, dest: Path) -> None:
        dest.write_bytes(b"runt")
        raise failure

    with pytest.raises(InputError) as exc:
        fetch_trace("philly-2017", tmp_path, download=fails)
    assert f"download failed: {type(failure).__name__}" in str(exc.value)
    assert listing(tmp_path) == []


def test_a_bug_in_the_download_is_not_blamed_on_the_network(tmp_path: Path) -> None:
    def buggy(url: str, dest: Path) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        fetch_trace("philly-2017", tmp_path, download=buggy)
    assert listing(tmp_path) == []


def test_failure_on_a_later_file_keeps_the_verified_ones(
    shared_traces: Path, tmp_path: Path
) -> None:
    good = copy_from(shared_traces)

    def second_fails(url: str, dest: Path) -> None:
        if "openb_node_list_gpu_node" in url:
            dest.write_bytes(b"sn,cpu")
            raise TimeoutError("timed out")
        good(url, dest)

    with pytest.raises(InputError, match="TimeoutError"):
        fetch_trace("alibaba-gpu-2023", tmp_path, download=second_fails)
    assert listing(tmp_path) == ["alibaba-gpu-2023", "alibaba-gpu-2023/openb_pod_list_default.csv"]


def test_wrong_size_or_digest_is_refused(tmp_path: Path) -> None:
    size = TRACES["philly-2017"].files[0].size

    def short(url: str, dest: Path) -> None:
        dest.write_bytes(b"runtime\n")

    def corrupt(url: str, dest: Path) -> None:
        dest.write_bytes(b"x" * size)

    with pytest.raises(InputError, match=r"wrong size \(expected 535,725 bytes; found 8 bytes\)"):
        fetch_trace("philly-2017", tmp_path, download=short)
    with pytest.raises(InputError, match="wrong SHA-256 digest"):
        fetch_trace("philly-2017", tmp_path, download=corrupt)
    assert listing(tmp_path) == []


def test_unknown_trace(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown trace 'azure-llm-2024'.*did you mean"):
        fetch_trace("azure-llm-2024", tmp_path, download=lambda u, d: None)
    with pytest.raises(InputError, match=r"valid names: alibaba-gpu-2023, alibaba-spot-gpu"):
        fetch_trace("zzz", tmp_path, download=lambda u, d: None)
    assert listing(tmp_path) == []


def test_default_destination(
    shared_traces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STARGATE_DATA_DIR", str(tmp_path / "traces"))
    [path] = fetch_trace("alibaba-spot-gpu-2026", download=copy_from(shared_traces))
    assert path == tmp_path / "traces" / "alibaba-spot-gpu-2026" / "node_info_df.csv"


# --------------------------------------------------------------------------- the CLI


def test_cli_fetch_and_list(
    shared_traces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_mod, "urllib_download", copy_from(shared_traces))
    runner = CliRunner()
    result = runner.invoke(app, ["trace", "fetch", "azure-llm-2023", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    path = tmp_path / "azure-llm-2023" / "AzureLLMInferenceTrace_conv.csv"
    assert str(path) in result.stdout
    assert path.is_file()

    result = runner.invoke(app, ["trace", "list"])
    assert result.exit_code == 0
    for name in TRACES:
        assert name in result.stdout
    result = runner.invoke(app, ["trace", "list", "--json"])
    data = json.loads(result.stdout)
    assert [d["name"] for d in data] == sorted(TRACES)
    assert all(d["licence"] == "CC BY 4.0" and d["local"] for d in data)


def test_cli_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, dest: Path) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(fetch_mod, "urllib_download", offline)
    runner = CliRunner()
    result = runner.invoke(app, ["trace", "fetch", "philly-2017", "--dest", str(tmp_path)])
    assert result.exit_code == 2
    assert "network is unreachable" in result.output
    assert "internal error" not in result.output
    result = runner.invoke(app, ["trace", "fetch", "phily-2017", "--dest", str(tmp_path)])
    assert result.exit_code == 2
    assert "did you mean 'philly-2017'" in result.output
    assert listing(tmp_path) == []


def test_cli_list_without_local_copies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_paths, "trace_dirs", lambda data_dir=None: [tmp_path])
    result = CliRunner().invoke(app, ["trace", "list"])
    assert result.exit_code == 0
    assert "local copy: none (stargate trace fetch philly-2017)" in result.stdout


def test_cli_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = ROOT / "tests" / "data" / "traces"
    runner = CliRunner()
    result = runner.invoke(app, ["trace", "list", "--json", "--data-dir", str(fixtures)])
    assert result.exit_code == 0, result.output
    local = {d["name"]: d["local"] for d in json.loads(result.stdout)}
    assert local == {name: str(fixtures / name) for name in TRACES}
    # a file where a folder is expected: exit 2, naming the option and the file
    result = runner.invoke(app, ["trace", "list", "--data-dir", str(fixtures / "../README.md")])
    assert result.exit_code == 2
    assert "--data-dir" in result.output
    assert "README.md" in result.output
    assert "not a folder" in result.output

    def offline(url: str, dest: Path) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(fetch_mod, "urllib_download", offline)
    target = tmp_path / "data"
    result = runner.invoke(app, ["trace", "fetch", "philly-2017", "--data-dir", str(target)])
    assert result.exit_code == 2
    assert str(target / "philly-2017") in result.output
