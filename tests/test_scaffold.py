"""``censorprobe adapters new``: the scaffold writes an adapter that passes the whole contract kit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probes import adapters
from probes.fingerprints import load_fingerprints
from probes.scaffold import ScaffoldError, scaffold
from runners.cli.adapters import app

REPO = Path(__file__).resolve().parent.parent


def _checkout(tmp_path: Path) -> Path:
    """A censorprobe checkout as a contributor has one: the package, its recordings, its
    pytest settings (the recordings linked, not copied)."""
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "probes", root / "probes", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root)
    fixtures = root / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    for folder in sorted((REPO / "tests" / "fixtures").iterdir()):
        (fixtures / folder.name).symlink_to(folder, target_is_directory=True)
    return root


def test_a_scaffolded_adapter_passes_the_whole_kit(tmp_path: Path) -> None:
    """``censorprobe adapters new`` then ``pytest --censorprobe-adapter``, as a contributor runs
    them in a checkout: every test of the kit runs over the new adapter and passes."""
    root = _checkout(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(REPO)])}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("PYTEST_ADDOPTS", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", *args], capture_output=True, text=True, cwd=root, env=env,
            timeout=300,
        )  # fmt: skip

    made = run("runners.cli", "adapters", "new", "new_site")
    assert made.returncode == 0, made.stdout + made.stderr
    assert (root / "probes" / "platforms" / "new_site.py").is_file()
    kit = run("pytest", "-rA", "-p", "no:cacheprovider", "--censorprobe-adapter", "new_site")
    output = kit.stdout + kit.stderr
    assert kit.returncode == 0, output
    ran = re.findall(r"^PASSED \S*::TestAdapterContract::(\w+)\[(.*)\]$", output, re.MULTILINE)
    assert {test for test, _ in ran} == {
        "test_case",
        "test_cases_cover_visible_error_and_each_silent_signal",
        "test_fixture_folder_holds_every_case_and_its_sources",
        "test_request_is_pure_and_aimed_at_base_url",
        "test_a_page_from_another_site_is_a_parse_error",
        "test_classify_survives_anything",
    }
    assert all("new_site" in ids for _, ids in ran)
    assert re.search(r"\b10 passed\b", output), output
    assert load_fingerprints(root / "probes" / "fingerprints" / "new_site.yaml").rows == ()


def test_the_scaffold_is_lint_clean(tmp_path: Path) -> None:
    made = scaffold("lint_me", tmp_path)
    config = str(REPO / "pyproject.toml")
    for args in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *args,
                "--no-cache",
                "--config",
                config,
                str(made.module),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["9lives", "my-site", "class", "Baidu", "_private", "", "a b"])
def test_the_scaffold_refuses_names_that_are_not_module_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="not a valid adapter name"):
        scaffold(name, tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_scaffold_refuses_a_taken_name_and_overwrites_nothing(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("baidu", tmp_path, taken=["baidu", "bing"])
    made = scaffold("twice", tmp_path)
    made.module.write_text("# edited by hand\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match="would overwrite"):
        scaffold("twice", tmp_path)
    assert made.module.read_text(encoding="utf-8") == "# edited by hand\n"


def test_cli_new_writes_the_files(tmp_path: Path) -> None:
    (tmp_path / "probes" / "platforms").mkdir(parents=True)
    result = CliRunner().invoke(app, ["new", "fresh_site", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "pytest --censorprobe-adapter fresh_site" in " ".join(result.output.split())
    assert (tmp_path / "probes" / "platforms" / "fresh_site.py").is_file()
    assert (tmp_path / "probes" / "fingerprints" / "fresh_site.yaml").is_file()
    assert (tmp_path / "tests" / "fixtures" / "fresh_site" / "results.synthetic.html").is_file()


@pytest.mark.parametrize(
    ("name", "checkout", "message"),
    [
        ("baidu", True, "already exists"),
        ("my-site", True, "not a valid"),
        ("ok_name", False, "not a censorprobe checkout"),
    ],
)
def test_cli_new_refuses(tmp_path: Path, name: str, checkout: bool, message: str) -> None:
    if checkout:
        (tmp_path / "probes" / "platforms").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(app, ["new", name, "--root", str(tmp_path)])
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_list_shows_every_adapter() -> None:
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    shown = {line.split("│")[1].strip() for line in result.output.splitlines() if "│" in line}
    assert set(adapters()) <= shown
    assert "1 per 2 s" in result.output  # Baidu's pacing
