"""The command line's common ground: -h everywhere, --version, choices that say what they are."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from runners.cli import app
from snapshots.format import TOOL
from testbed.personalities import personalities


@pytest.mark.parametrize("command", [[], ["run"], ["diff"], ["keywords", "check"]])
def test_dash_h_is_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage: censorprobe" in result.output


def test_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert result.exit_code == 0
        assert result.output.strip() == f"censorprobe {TOOL['version']}"


def test_testbed_personality_lists_and_checks_its_choices() -> None:
    result = CliRunner().invoke(app, ["testbed", "--personality", "nope"])
    assert result.exit_code == 2
    for name in personalities():
        assert f"'{name}'" in result.output


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    children = getattr(command, "commands", {})
    found = [path]
    for name, child in sorted(children.items()):
        found += _command_paths(child, (*path, name))
    return found


def test_help_shows_one_placeholder_style_and_no_python_types() -> None:
    paths = _command_paths(typer.main.get_command(app))
    assert ("keywords", "import") in paths and ("run",) in paths
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        shown = result.output
        assert not re.search(r"<(list\[|str|int|float|path|bool)", shown, re.I), (path, shown)
        for line in shown.splitlines():
            if "--help" in line:  # a flag: no placeholder between its name and its help
                assert re.search(r"-h\s{2,}Show this message", line), (path, line)
    run_help = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--timeout\s+FLOAT", run_help)
    assert re.search(r"lists\.\.\.\s+PATH\.\.\.", run_help)


def test_max_body_reaches_the_run(start_testbed, tmp_path) -> None:
    from support import observations, only_run, run_on_testbed, write_list

    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "l.yaml", [("plain", "天气预报")])
    run = run_on_testbed(keyword_list, testbed.url, tmp_path / "r", "--max-body", "1024")
    assert run.returncode == 3, run.stdout + run.stderr  # nothing useful measured
    (probe,) = observations(only_run(tmp_path / "r"))
    assert probe["verdict"] == "error" and probe["error"]["kind"] in {
        "too_large",
        "controls_failed",
    }
    found = observations(only_run(tmp_path / "r"), controls=True)
    assert {o["error"]["kind"] for o in found if o["role"] == "control"} == {"too_large"}


def test_the_results_folder_is_spelt_results_everywhere() -> None:
    command = typer.main.get_command(app)
    seen = []
    for path in _command_paths(command):
        node: Any = command
        for name in path:
            node = node.commands[name]
        for param in node.params:
            if "results folder" in (getattr(param, "help", None) or "").lower():
                seen.append(path)
                assert "--results" in param.opts and "-r" in param.opts, (path, param.opts)
    assert {("run",), ("diff",), ("export",), ("evidence", "show"), ("merge",)} <= set(seen)
