"""The documentation stays true: its commands run, its Python runs, its outputs match.

* every ``stargate ...`` line in a ``sh``/``console`` block runs through the CLI in-process and
  exits 0 (or the code of a trailing ``# exit N`` comment);
* every ``python`` block runs;
* a block after ``<!-- output of: stargate ... -->`` matches what the command prints;
* docs/cli.md names only commands and options that exist, and every option of the commands it
  documents;
* docs/scenario-format.md names every field of the scenario model;
* relative links and their anchors resolve;
* the dependency direction of docs/design.md holds in the source.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import CLAUSE_KINDS, Scenario

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DOC_FILES = sorted(
    [
        ROOT / "README.md",
        *DOCS.glob("*.md"),
        *DOCS.glob("how-to/*.md"),
        *(ROOT / "examples").glob("*.md"),
    ]
)
SHELL_LANGS = {"sh", "console", "shell", "bash"}
OUTPUT_OF = re.compile(r"<!--\s*output of:\s*(.+?)\s*-->")
EXIT_COMMENT = re.compile(r"#\s*exit\s+(\d+)\s*$")
STOP_TOKENS = {"|", "||", "&&", ";", "&"}


# --------------------------------------------------------------------------- markdown


@dataclass(frozen=True)
class Block:
    file: Path
    line: int  # 1-based line of the first line inside the fence
    lang: str
    text: str
    output_of: str | None  # the command of an "<!-- output of: ... -->" comment just before

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def parse_markdown(path: Path) -> tuple[list[Block], list[tuple[int, str]]]:
    """Fenced blocks, and the lines outside them (line number, text)."""
    blocks: list[Block] = []
    prose: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    fence: str | None = None
    lang = ""
    start = 0
    body: list[str] = []
    output_of: str | None = None
    last_prose = ""
    for n, line in enumerate(lines, start=1):
        stripped = line.strip()
        if fence is None:
            m = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", stripped)
            if m:
                fence, lang, start, body = m.group(1), m.group(2).lower(), n + 1, []
                om = OUTPUT_OF.search(last_prose)
                output_of = om.group(1) if om else None
                continue
            prose.append((n, line))
            if stripped:
                last_prose = stripped
        elif stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            blocks.append(Block(path, start, lang, "\n".join(body), output_of))
            fence, last_prose = None, ""
        else:
            body.append(line)
    assert fence is None, f"{path.relative_to(ROOT)}: unclosed code fence from line {start}"
    return blocks, prose


ALL_BLOCKS = [b for f in DOC_FILES for b in parse_markdown(f)[0]]


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    where: str
    line: str
    args: list[str]
    exit_code: int


def parse_command(text: str, where: str) -> Command | None:
    """A `stargate ...` command line: its arguments (redirections and pipes cut off) and the
    expected exit code; None when the line is not a stargate command."""
    line = text.strip()
    if line.startswith("$ "):
        line = line[2:].strip()
    if not (line == "stargate" or line.startswith("stargate ")):
        return None
    m = EXIT_COMMENT.search(line)
    expected = int(m.group(1)) if m else 0
    tokens = shlex.split(line, comments=True)
    args: list[str] = []
    skip = False
    for tok in tokens[1:]:
        if skip:
            skip = False
            continue
        if tok in STOP_TOKENS:
            break
        if re.fullmatch(r"\d?>>?|&>", tok):  # "> file": the next token is the target
            skip = True
            continue
        if re.match(r"^(\d?>>?|&>|<)", tok):  # ">file", "2>&1", "<file"
            continue
        args.append(tok)
    return Command(where, line, args, expected)


def doc_commands() -> Iterator[Command]:
    for block in ALL_BLOCKS:
        if block.lang not in SHELL_LANGS:
            continue
        for k, text in enumerate(block.text.splitlines()):
            cmd = parse_command(text, f"{block.where.rsplit(':', 1)[0]}:{block.line + k}")
            if cmd is not None:
                yield cmd


COMMANDS = list(doc_commands())


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def run_cli(args: list[str]) -> Any:
    # A wide terminal, so that nothing is wrapped, and no debug tracebacks.
    return CliRunner().invoke(app, args, env={"COLUMNS": "250", "STARGATE_DEBUG": None})


def test_docs_have_commands_and_python() -> None:
    assert len(COMMANDS) >= 20
    assert any(b.lang == "python" for b in ALL_BLOCKS)
    assert any(b.output_of for b in ALL_BLOCKS)


@pytest.mark.parametrize("cmd", COMMANDS, ids=[f"{c.where} {' '.join(c.args)}" for c in COMMANDS])
def test_command_runs(cmd: Command, in_root: Path) -> None:
    if cmd.args[:1] in (["bench"], ["serve"], ["party"]) and cmd.exit_code == 0:
        # Benchmarks take minutes, `serve` runs until stopped and `party` writes tokens into
        # the database it names (tests/cli/test_service_cli.py runs them on a scratch one):
        # check that the command and its options parse, no more.
        result = run_cli([*cmd.args, "--help"])
        assert result.exit_code == 0, f"{cmd.where}: `{cmd.line}`\n{result.output}"
        return
    result = run_cli(cmd.args)
    assert result.exit_code == cmd.exit_code, (
        f"{cmd.where}: `{cmd.line}` exited {result.exit_code}, expected {cmd.exit_code}\n"
        f"{result.output}"
    )
    assert "internal error" not in result.output
    if "--json" in cmd.args and result.exit_code == 0:
        json.loads(result.stdout)


def test_exit_comment_and_redirections_are_parsed() -> None:
    cmd = parse_command("$ stargate schema > scenario.schema.json  # for editors", "x")
    assert cmd is not None
    assert cmd.args == ["schema"]
    assert cmd.exit_code == 0
    cmd = parse_command("stargate validate bad.yaml 2>&1 | head  # exit 2", "x")
    assert cmd is not None
    assert cmd.args == ["validate", "bad.yaml"]
    assert cmd.exit_code == 2
    assert parse_command("python3 tasks.py test", "x") is None


# --------------------------------------------------------------------------- python blocks

PYTHON_BLOCKS = [b for b in ALL_BLOCKS if b.lang in ("python", "py")]


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[b.where for b in PYTHON_BLOCKS])
def test_python_block_runs(block: Block, in_root: Path) -> None:
    code = compile(block.text, block.where, "exec")
    exec(code, {"__name__": "__docs__"})


# --------------------------------------------------------------------------- outputs

OUTPUT_BLOCKS = [b for b in ALL_BLOCKS if b.output_of]


def matches(doc: Any, real: Any) -> bool:
    """The documented JSON is the real JSON with some list items left out: objects have the
    same keys, lists are subsequences, values are equal."""
    if isinstance(doc, dict):
        return (
            isinstance(real, dict)
            and set(doc) == set(real)
            and all(matches(doc[k], real[k]) for k in doc)
        )
    if isinstance(doc, list):
        if not isinstance(real, list):
            return False
        it = iter(real)
        return all(any(matches(d, r) for r in it) for d in doc)
    if isinstance(doc, bool) or isinstance(real, bool):
        return doc is real
    if isinstance(doc, int | float) and isinstance(real, int | float):
        return doc == real
    return type(doc) is type(real) and bool(doc == real)


def test_matches() -> None:
    real = {"a": [1, 2, 3], "b": {"c": None}}
    assert matches({"a": [1, 3], "b": {"c": None}}, real)
    assert not matches({"a": [3, 1], "b": {"c": None}}, real)
    assert not matches({"a": [1]}, real)
    assert not matches({"a": [1], "b": {"c": 0}}, real)


@pytest.mark.parametrize("block", OUTPUT_BLOCKS, ids=[b.where for b in OUTPUT_BLOCKS])
def test_documented_output(block: Block, in_root: Path) -> None:
    assert block.output_of is not None
    cmd = parse_command(block.output_of, block.where)
    assert cmd is not None, f"{block.where}: not a stargate command: {block.output_of}"
    result = run_cli(cmd.args)
    assert result.exit_code == cmd.exit_code, result.output
    if block.lang == "json":
        doc = json.loads(block.text)
        real = json.loads(result.stdout)
        assert matches(doc, real), (
            f"{block.where}: documented JSON does not match `{cmd.line}`:\n"
            f"{json.dumps(real, indent=2)}"
        )
    else:
        assert " ".join(block.text.split()) == " ".join(result.output.split()), (
            f"{block.where}: documented output differs from `{cmd.line}`:\n{result.output}"
        )


# --------------------------------------------------------------------------- cli.md

ROOT_COMMAND = typer.main.get_command(app)


# Typer ships its own copy of Click, so commands are inspected by their attributes.


def is_group(cmd: Any) -> bool:
    return isinstance(getattr(cmd, "commands", None), dict)


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The deepest command named by the leading words, and the words left over."""
    cmd: Any = ROOT_COMMAND
    rest = list(words)
    while rest and is_group(cmd) and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    return cmd, rest


def options_of(cmd: Any) -> set[str]:
    opts = {"--help"}
    for p in cmd.params:
        if getattr(p, "param_type_name", "") == "option":
            opts |= {o for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}
    return opts


def cli_sections() -> list[tuple[str, str]]:
    """(command words, section text) for each '## stargate ...' heading of docs/cli.md."""
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    parts = re.split(r"^(#{2,3} .*)$", text, flags=re.MULTILINE)
    out = []
    for head, body in zip(parts[1::2], parts[2::2], strict=True):
        m = re.match(r"^#{2,3} stargate ([a-z ]+)$", head.strip())
        if m:
            out.append((m.group(1).strip(), body))
    return out


SECTIONS = cli_sections()


def test_cli_md_documents_the_scenario_commands() -> None:
    names = {words for words, _ in SECTIONS}
    assert {"validate", "schema", "scenario show", "scenario list"} <= names


@pytest.mark.parametrize(("words", "body"), SECTIONS, ids=[w for w, _ in SECTIONS])
def test_cli_md_options_exist(words: str, body: str) -> None:
    cmd, rest = resolve(words.split())
    assert not rest, f"no command 'stargate {words}'"
    assert not is_group(cmd), f"no command 'stargate {words}'"
    documented = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", body))
    real = options_of(cmd)
    assert documented <= real, f"stargate {words}: documented but missing: {documented - real}"
    missing = real - documented - {"--help"}
    assert not missing, f"stargate {words}: options not documented in docs/cli.md: {missing}"


def command_mentions() -> Iterator[tuple[str, str]]:
    """`stargate ...` in inline code and in code blocks of every doc."""
    for path in DOC_FILES:
        blocks, prose = parse_markdown(path)
        rel = path.relative_to(ROOT)
        for n, line in prose:
            for span in re.findall(r"`(stargate(?: [^`]*)?)`", line):
                yield f"{rel}:{n}", span
        for b in blocks:
            if b.lang in SHELL_LANGS | {"text", ""}:
                for k, line in enumerate(b.text.splitlines()):
                    line = line.strip().removeprefix("$ ")
                    if line.startswith("stargate ") and "<!--" not in line:
                        yield f"{rel}:{b.line + k}", line


MENTIONS = list(command_mentions())


@pytest.mark.parametrize(("where", "text"), MENTIONS, ids=[f"{w} {t}" for w, t in MENTIONS])
def test_mentioned_commands_exist(where: str, text: str) -> None:
    words = shlex.split(text, comments=True)[1:]
    cmd, rest = resolve(words)
    if is_group(cmd) and rest:
        assert rest[0].startswith(("-", "[", "<")), f"{where}: no command in `{text}`"
    if not is_group(cmd):
        for tok in rest:
            opt = tok.strip("[]").split("=")[0]
            if opt.startswith("--"):
                assert opt in options_of(cmd), f"{where}: `{text}`: no option {opt}"


# --------------------------------------------------------------------------- scenario-format.md


def model_parts(tp: Any, models: set[type[BaseModel]], enums: set[type[enum.Enum]]) -> None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if tp in models:
            return
        models.add(tp)
        for f in tp.model_fields.values():
            model_parts(f.annotation, models, enums)
        return
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        enums.add(tp)
        return
    for arg in typing.get_args(tp):
        model_parts(arg, models, enums)


def test_scenario_format_names_every_field() -> None:
    _, prose = parse_markdown(DOCS / "scenario-format.md")
    named = {span for _, line in prose for span in re.findall(r"`([^`]+)`", line)}
    models: set[type[BaseModel]] = set()
    enums: set[type[enum.Enum]] = set()
    model_parts(Scenario, models, enums)
    missing = sorted(
        f"{m.__name__}.{name}" for m in models for name in m.model_fields if name not in named
    )
    assert not missing, f"fields not in docs/scenario-format.md: {missing}"
    values = sorted(
        f"{e.__name__}.{v.value}" for e in enums for v in e if str(v.value) not in named
    )
    assert not values, f"allowed values not in docs/scenario-format.md: {values}"
    assert not set(CLAUSE_KINDS) - named


# --------------------------------------------------------------------------- links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    _, prose = parse_markdown(path)
    return {slug(line.lstrip("#")) for _, line in prose if re.match(r"^#{1,6} ", line)}


def links() -> Iterator[tuple[str, Path, str]]:
    for path in DOC_FILES:
        _, prose = parse_markdown(path)
        for n, line in prose:
            line = re.sub(r"`[^`]*`", "", line)
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if not re.match(r"^[a-z]+:", target):
                    yield f"{path.relative_to(ROOT)}:{n}", path, target


LINKS = list(links())


@pytest.mark.parametrize(("where", "path", "target"), LINKS, ids=[f"{w} {t}" for w, _, t in LINKS])
def test_relative_links_resolve(where: str, path: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    dest = (path.parent / file_part).resolve() if file_part else path
    assert dest.exists(), f"{where}: broken link {target}"
    if anchor and dest.suffix == ".md":
        assert anchor in anchors(dest), f"{where}: no heading for #{anchor} in {dest.name}"


# --------------------------------------------------------------------------- design.md

PYPROJECT = ROOT / "pyproject.toml"


def lint_imports(src: Path) -> tuple[int, str]:
    """Run import-linter with the contracts of pyproject.toml on the package under ``src``."""
    code = (
        "import sys\n"
        "from importlinter.cli import lint_imports\n"
        f"sys.exit(lint_imports(config_filename={str(PYPROJECT)!r}, no_cache=True, no_logo=True))"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    return done.returncode, done.stdout + done.stderr


def layers() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return list(contract["layers"])


def test_dependency_direction() -> None:
    """The layering contracts of pyproject.toml hold on the source (import-linter)."""
    code, report = lint_imports(ROOT / "src")
    assert code == 0, report
    assert "broken" in report, report
    assert " 0 broken" in report, report


def test_design_md_draws_the_checked_layers() -> None:
    """docs/design.md draws the layers import-linter checks, top to bottom, as configured."""
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    drawn = re.search(r"<!-- layers: pyproject.toml -->\n```text\n(.*?)```", text, re.DOTALL)
    assert drawn, "docs/design.md has no ```text block after '<!-- layers: pyproject.toml -->'"
    rows = [line.split("  ")[0].strip() for line in drawn.group(1).splitlines()]
    rows = [r for r in rows if r and r != "↓"]
    assert rows == layers()


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("domain/model.py", "import stargate.errors", "domain imports nothing else"),
        ("sim/api.py", "import stargate.report.svg", "Layers"),
        ("broker/engine.py", "import stargate.cli.common", "Layers"),
        ("errors.py", "import stargate.files", "Layers"),
        ("brandnew.py", "X = 1", "Layers"),  # a module in no layer
    ],
)
def test_the_layering_gate_bites(tmp_path: Path, module: str, line: str, contract: str) -> None:
    """An import against the direction (or a module placed in no layer) breaks a contract."""
    copy = tmp_path / "src" / "stargate"
    shutil.copytree(ROOT / "src" / "stargate", copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    target.write_text(before + "\n" + line + "\n", encoding="utf-8")
    code, report = lint_imports(tmp_path / "src")
    assert code != 0, report
    assert any(contract in row and "BROKEN" in row for row in report.splitlines()), report
