"""The help of every command: `-h`, `--version`, usage lines and metavars, and examples that
work."""

from __future__ import annotations

import re
import shlex
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.cli.options import command_paths, examples, one_of
from stargate.errors import EXIT_INPUT

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
ROOT_COMMAND = typer.main.get_command(app)
COMMANDS = command_paths(ROOT_COMMAND)
WORDS = [words for words, _ in COMMANDS]
GROUPS = [
    (),
    ("scenario",),
    ("bench",),
    ("trace",),
    ("money",),
    ("ledger",),
    ("access",),
    ("agi",),
    ("party",),
]


def run(args: list[str]) -> Any:
    return runner.invoke(app, args, env={"COLUMNS": "120", "STARGATE_DEBUG": None})


def help_text(words: tuple[str, ...]) -> str:
    result = run([*words, "--help"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_every_command_is_found() -> None:
    names = {" ".join(w) for w in WORDS}
    assert {
        "validate",
        "schema",
        "scenario show",
        "scenario list",
        "place",
        "bench broker",
        "simulate",
        "plan",
        "trace list",
        "trace fetch",
        "money report",
        "ledger keygen",
        "ledger checkpoint",
        "ledger cosign",
        "ledger verify",
        "ledger prove",
        "ledger entries",
        "ledger export",
        "access check",
        "access policy",
        "agi declare",
        "agi verify",
    } <= names


def test_version() -> None:
    expected = f"stargate {metadata.version('stargate')}"
    for flag in ("--version", "-V"):
        result = run([flag])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == expected


@pytest.mark.parametrize("words", [*GROUPS, *WORDS], ids=lambda w: " ".join(w) or "stargate")
def test_h_is_help(words: tuple[str, ...]) -> None:
    short = run([*words, "-h"])
    assert short.exit_code == 0, short.output
    assert short.output == help_text(words)
    assert "-h, --help" in short.output


@pytest.mark.parametrize("words", WORDS, ids=" ".join)
def test_help_renders_cleanly(words: tuple[str, ...]) -> None:
    text = help_text(words)
    assert "[[" not in text
    assert "]]" not in text
    usage = text.splitlines()[0]
    assert usage.startswith("Usage: stargate")
    assert "{" not in usage
    assert "}" not in usage
    assert not re.search(r"\{[A-Z][A-Z_]*\}", text), text  # {REQUESTS}: a required argument
    # No type names in angle brackets (<str>, <int>, <float range>, ...).
    assert not re.search(r"<[a-z][a-z ]*>", text), text
    assert "\nExamples:" in text or "\n  Examples:" in text, f"no examples in {words}"
    assert extract_examples(text), f"no example commands in {words}"


def test_usage_lines() -> None:
    assert "Usage: stargate place [OPTIONS] REQUESTS\n" in help_text(("place",))
    assert "Usage: stargate validate [OPTIONS] [SCENARIO]\n" in help_text(("validate",))
    assert "Usage: stargate trace fetch [OPTIONS] NAME\n" in help_text(("trace", "fetch"))
    place = help_text(("place",))
    assert re.search(r"^  REQUESTS\s+A YAML", place, re.MULTILINE)
    assert "--seed N" in place
    assert "--objective [cost|time|mix:W]" in place


def test_choices_are_listed_and_match_the_engines() -> None:
    from stargate.sim.pools import GRANULARITIES, POLICIES

    sim = help_text(("simulate",))
    assert f"--policy {one_of(*POLICIES)}" in sim
    assert f"--granularity {one_of(*GRANULARITIES)}" in sim
    assert "--mode [simulate|packing]" in sim
    assert "--period [year|quarter]" in help_text(("plan",))


def test_examples_epilog_keeps_lines() -> None:
    text = examples("stargate a", "stargate b   # exit 2")
    assert text.startswith("Examples:")
    assert "\n  stargate a\n  stargate b   # exit 2" in text


# --------------------------------------------------------------------------- examples run


def extract_examples(text: str) -> list[str]:
    """The command lines after "Examples:" in a help text."""
    _, _, tail = text.partition("Examples:")
    return [line.strip() for line in tail.splitlines() if line.strip().startswith("stargate ")]


def example_cases() -> list[tuple[str, str]]:
    cases = []
    for words in [*GROUPS, *WORDS]:
        result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "250"})
        for line in extract_examples(result.output):
            cases.append((" ".join(words) or "stargate", line))
    return cases


EXAMPLES = example_cases()
# Examples that take minutes or the network: their arguments are parsed by the real command
# (types, options, choices), not run. Refusals (`# exit 2`) always run.
# The ledger's examples name key files, checkpoints and databases the reader has (and would
# write into the source tree or the user's data directory here): parsed too.
PARSE_ONLY = {
    ("bench", "broker"),
    ("trace", "fetch"),
    ("simulate",),
    ("plan",),
    ("money", "report"),
    *(
        ("ledger", c)
        for c in ("keygen", "checkpoint", "cosign", "verify", "prove", "entries", "export")
    ),
    # agi declare/verify write to the ledger they name: parsed (their refusals run)
    ("agi", "declare"),
    ("agi", "verify"),
    # the service runs until stopped, and party add/revoke/list open the database they name
    ("serve",),
    ("party", "add"),
    ("party", "revoke"),
    ("party", "list"),
}


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2 * len(WORDS)


def resolve(args: list[str]) -> tuple[tuple[str, ...], Any, list[str]]:
    cmd: Any = ROOT_COMMAND
    words: list[str] = []
    rest = list(args)
    while rest and isinstance(getattr(cmd, "commands", None), dict) and rest[0] in cmd.commands:
        words.append(rest[0])
        cmd = cmd.commands[rest.pop(0)]
    return tuple(words), cmd, rest


@pytest.mark.parametrize(("where", "line"), EXAMPLES, ids=[f"{w}: {ln}" for w, ln in EXAMPLES])
def test_example_works(where: str, line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    expected = 2 if re.search(r"#\s*exit 2", line) else 0
    tokens = shlex.split(line, comments=True)[1:]
    if ">" in tokens:
        tokens = tokens[: tokens.index(">")]
    words, cmd, rest = resolve(tokens)
    if words in PARSE_ONLY and expected == 0 and "-h" not in rest and "--help" not in rest:
        ctx = cmd.make_context(" ".join(words), list(rest))  # raises on a bad option or value
        assert ctx.params is not None
        return
    result = run(tokens)
    assert result.exit_code == expected, f"`{line}` exited {result.exit_code}\n{result.output}"
    assert "internal error" not in result.output
    if expected == EXIT_INPUT:
        assert result.output.strip(), "a refusal must say why"
