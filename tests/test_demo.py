"""`censorprobe demo`: the embedded default runs end to end on loopback."""

from __future__ import annotations

import json
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
    # The epoch-2 run is followed by trigger isolation of its censored combination and long text.
    isolations = (folders[1] / "isolations.jsonl").read_text(encoding="utf-8").splitlines()
    triggers = {
        json.loads(line)["key"].split("/")[1]: json.loads(line)["trigger"] for line in isolations
    }
    assert triggers == {"xi-protest": ["习近平", "抗议"], "white-paper-post": ["白纸运动"]}
    assert "white-paper-post: 白纸运动" in result.stdout
