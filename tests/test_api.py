"""The notebook API (snapshots.api) on real results, and docs/notebook.ipynb executed by nbclient."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import duckdb
import pytest
from support import REPO, cli

from snapshots.api import DIFF_COLUMNS, EXPORT_COLUMNS, Results

NOTEBOOK = REPO / "docs" / "notebook.ipynb"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real snapshots: ``censorprobe demo`` probes the testbed before and after a change."""
    root = tmp_path_factory.mktemp("demo")
    ran = cli("demo", "--out", root / "results", "--report", root / "report.html")
    assert ran.returncode == 0, ran.stderr
    return root / "results"


def test_observations_frame_manifest_diff_and_exchange(demo: Path) -> None:
    results = Results(demo)
    previous, latest = results.runs()
    relation = results.observations()
    assert isinstance(relation, duckdb.DuckDBPyRelation)
    assert relation.columns == EXPORT_COLUMNS
    assert {role for (role,) in relation.select("role").distinct().fetchall()} == {"probe"}
    with_controls = results.observations(controls=True)
    assert _count(with_controls.filter("role = 'control'")) > 0
    only_latest = results.observations("latest")
    assert {r for (r,) in only_latest.select("run_id").distinct().fetchall()} == {latest.run_id}
    frame = results.frame("latest")
    assert list(frame.columns) == EXPORT_COLUMNS
    assert str(frame["measurement_start_time"].dtype).startswith("datetime64")
    assert len(frame) == _count(only_latest)
    assert results.manifest("previous")["run_id"] == previous.run_id
    assert results.manifest()["status"] == "complete"
    rows = results.diff()
    assert rows and all(list(row) == DIFF_COLUMNS for row in rows)
    assert "newly_censored" in {row["kind"] for row in rows}
    notice = only_latest.filter("signal = 'notice' AND evidence_offset IS NOT NULL").limit(1)
    [(run_id, offset, query)] = notice.select("run_id, evidence_offset, input").fetchall()
    stored = results.exchange(run_id, offset)
    assert stored.response_head.startswith("HTTP/1.1 200")
    assert query in stored.body.decode("utf-8")


def test_a_corrupt_line_warns_with_its_file_and_line(demo: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "results"
    shutil.copytree(demo, copy)
    path = Results(copy).snapshot("latest").observations
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "{broken\n" + "".join(lines[1:]), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        relation = Results(copy).observations("latest")
    (warning,) = caught
    assert str(warning.message).startswith(f"skipped {path}:2: not JSON")
    assert _count(relation) > 0


def _count(relation: duckdb.DuckDBPyRelation) -> int:
    [(count,)] = relation.aggregate("count(*)").fetchall()
    return int(count)


def _kernel_or_skip() -> None:
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        pytest.skip("jupyter_client is not installed (pip install -e '.[test]')")
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no python3 Jupyter kernel: pip install ipykernel")


def test_the_example_notebook_runs(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _kernel_or_skip()
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("CENSORPROBE_RESULTS", str(demo))
    # the kernel is this interpreter's (its kernelspec runs `python` from PATH)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    ).execute()
    printed = [
        "".join(output.get("text", "") for output in cell.get("outputs", []))
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    runs, by_signal, by_category, table, manifest, changes, evidence = printed
    assert len(runs.splitlines()) == 2 and "complete" in runs
    assert "'notice'" in by_signal and "'testbed'" in by_signal
    assert by_category.startswith("[(")
    assert "censored" in table and "visible" in table
    assert manifest.startswith("complete ['demo']")
    assert "newly_censored" in changes and "-> censored" in changes
    assert "HTTP/1.1 200" in evidence
