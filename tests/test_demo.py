"""`censorprobe demo`: the embedded default runs end to end on loopback."""

from __future__ import annotations

from pathlib import Path

from support import cli, manifest, observations


def test_demo_leaves_two_complete_snapshots_that_differ(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = cli("demo", "--out", out, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    folders = sorted(
        (p for p in out.iterdir() if p.is_dir()), key=lambda p: manifest(p)["started_at"]
    )
    assert len(folders) == 2
    for folder in folders:
        assert manifest(folder)["status"] == "complete"
    first, second = ({o["key"]: o["verdict"] for o in observations(f)} for f in folders)
    assert first.keys() == second.keys()
    assert first["demo/sitong-bridge/original/testbed/local"] == "censored"
    assert second["demo/sitong-bridge/original/testbed/local"] == "visible"  # rule lifted
    assert first["demo/shanghai-lockdown/original/testbed/local"] == "visible"
    assert second["demo/shanghai-lockdown/original/testbed/local"] == "censored"  # rule added
    assert "127.0.0.1" in result.stdout
