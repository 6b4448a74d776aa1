"""``censorprobe adapters new``: the scaffold writes an adapter that passes the contract kit."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from adapter_kit import case_problems, coverage_problems, run_case
from typer.testing import CliRunner

from probes import Adapter, Query, adapters
from probes.fingerprints import load_fingerprints
from probes.scaffold import ScaffoldError, scaffold
from runners.cli.adapters import app

REPO = Path(__file__).resolve().parent.parent


def _load(module_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> type[Adapter]:
    """Import a generated module as ``probes.<name>`` (its imports are relative)."""
    spec = importlib.util.spec_from_file_location(f"probes.{name}", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Adapter) and value is not Adapter
    ]
    assert len(found) == 1
    return found[0]


def test_a_scaffolded_adapter_passes_the_kit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = scaffold("new_site", tmp_path)
    cls = _load(made.module, "new_site", monkeypatch)
    assert (cls.name, cls.__name__) == ("new_site", "NewSiteAdapter")
    assert coverage_problems(cls) == []
    for case in cls.cases:
        assert (made.fixtures / case.fixture).is_file()
        assert case_problems(case, run_case(cls, case, made.fixtures)) == [], case.fixture
    request = cls(base_url="http://127.0.0.1:9/x").request(Query("六四 天安门"))
    assert (
        str(request.url)
        == "http://127.0.0.1:9/x/search?q=%E5%85%AD%E5%9B%9B+%E5%A4%A9%E5%AE%89%E9%97%A8"
    )
    assert load_fingerprints(made.fingerprints).rows == ()
    assert (made.fixtures / "SOURCES.md").is_file()


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
    (tmp_path / "probes").mkdir()
    result = CliRunner().invoke(app, ["new", "fresh_site", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "probes" / "fresh_site.py").is_file()
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
        (tmp_path / "probes").mkdir()
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
