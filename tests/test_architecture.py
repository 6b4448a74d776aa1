"""The rooms' import rules of docs/architecture.md, read from the code itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("probes", "runners", "snapshots", "testbed")
#: Which of the project's packages each room may import (docs/architecture.md, "Rooms").
MAY_IMPORT = {
    "probes": {"probes"},
    "snapshots": {"snapshots"},
    "testbed": {"testbed"},
    "runners": {"probes", "runners", "snapshots", "testbed"},
}
CLI_ONLY = {"typer", "rich"}


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """Each imported top-level module: its line, its name, and whether it is type-checking only."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend((node.lineno, name.split(".")[0], id(node) in guarded) for name in names)
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_each_room_imports_only_what_it_may(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in _modules(package)
        for line, name, _ in _imports(path)
        if name in PACKAGES and name not in MAY_IMPORT[package]
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_cli_imports_typer_and_rich() -> None:
    cli = ROOT / "runners" / "cli"
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for package in PACKAGES
        for path in _modules(package)
        if cli not in path.parents
        for line, name, _ in _imports(path)
        if name in CLI_ONLY
    ]
    assert not wrong, "\n".join(wrong)


def test_snapshots_use_httpx_for_type_checking_only() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _modules("snapshots")
        for line, name, type_checking in _imports(path)
        if name == "httpx" and not type_checking
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "module", ["snapshots.store", "snapshots.diff", "snapshots.timeline", "snapshots.export"]
)
def test_the_readers_do_not_load_the_http_stack(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        "print(','.join(m for m in ('httpx', 'tenacity', 'probes.platforms') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.strip() == "", f"importing {module} loads {loaded.stdout.strip()}"


def test_every_error_kind_and_signal_is_documented() -> None:
    from probes.outcome import ErrorKind, Signal

    for document in ("results/README.md", "docs/architecture.md"):
        text = (ROOT / document).read_text(encoding="utf-8")
        for value in [*ErrorKind, *Signal]:
            assert f"`{value.value}`" in text, f"{document} does not document {value.value}"


def test_every_diff_and_comparison_kind_is_documented() -> None:
    from snapshots.crossplatform import ContrastKind
    from snapshots.diff import ChangeKind

    text = (ROOT / "results/README.md").read_text(encoding="utf-8")
    for value in [*ChangeKind, *ContrastKind]:
        assert f"`{value.value}`" in text, f"results/README.md does not document {value.value}"
