"""Commands are added to the app explicitly by stargate.cli.main, never by importing a module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from stargate.cli import broker, common, plan, sim, trace
from stargate.cli.main import app

SRC = Path(__file__).resolve().parents[2] / "src"


def test_importing_a_command_module_registers_nothing() -> None:
    code = (
        "import sys\n"
        "import stargate.cli, stargate.cli.broker, stargate.cli.plan, stargate.cli.sim\n"
        "import stargate.cli.trace\n"
        "print('stargate.cli.main' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_every_marked_command_is_added_to_the_app() -> None:
    added = {info.callback for info in app.registered_commands}
    marked = [
        fn
        for module in (broker, plan, sim, trace)
        for fn in vars(module).values()
        if callable(fn) and "__stargate_command__" in getattr(fn, "__dict__", {})
    ]
    assert marked, "no command found in the command modules"
    assert all(fn in added for fn in marked), [fn.__name__ for fn in marked if fn not in added]
    groups = {info.typer_instance for info in app.registered_groups}
    assert {broker.bench_app, trace.trace_app} <= groups


def test_an_unmarked_function_is_refused() -> None:
    def loose() -> None:
        """Not a command."""

    with pytest.raises(TypeError, match="not marked"):
        common.add_command(typer.Typer(), loose)


def test_a_marked_function_keeps_its_options() -> None:
    @common.command("hello", epilog="Examples: none")
    def hello() -> None:
        """Say hello."""

    target = typer.Typer()
    common.add_command(target, hello)
    (info,) = target.registered_commands
    assert (info.name, info.epilog, info.callback) == ("hello", "Examples: none", hello)
