"""The command line's common ground: -h everywhere, --version, choices that say what they are."""

from __future__ import annotations

import pytest
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
