"""Helpers shared by the tests: run the CLI for real, read snapshots, write keyword lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CONTROLS_YAML = """controls:
  - {id: weather, text: 天气}
  - {id: noodles, text: 牛肉面}
  - {id: football, text: 足球}
"""


def cli(
    *args: str | Path, timeout: float = 120, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``censorprobe`` in a subprocess, as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "runners.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def run_on_testbed(
    keyword_list: Path, url: str, out: Path, *options: str | Path, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """``censorprobe run LIST --platform testbed --base-url URL --rate 0 --reask-delay 0
    OPTIONS --out OUT``."""
    args = ("run", keyword_list, "--platform", "testbed", "--base-url", url, "--rate", "0")
    args += ("--reask-delay", "0")
    return cli(*args, *options, "--out", out, check=check)


def observations(folder: Path, *, controls: bool = False) -> list[dict[str, Any]]:
    lines = (folder / "observations.jsonl").read_text(encoding="utf-8").splitlines()
    found = [json.loads(line) for line in lines if line]
    return found if controls else [o for o in found if o["role"] == "probe"]


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data


def only_run(results: Path) -> Path:
    (folder,) = [path for path in results.iterdir() if path.is_dir()]
    return folder


def write_list(path: Path, terms: list[tuple[str, str]], list_id: str = "t") -> Path:
    """A valid keyword list of (id, text) terms with the standard controls."""
    body = [f"list: {list_id}", "description: test list", "language: zh-Hans", "terms:"]
    for term_id, text in terms:
        body.append(
            f"  - {{id: {term_id}, text: {json.dumps(text, ensure_ascii=False)}, category: test}}"
        )
    path.write_text("\n".join(body) + "\n" + CONTROLS_YAML, encoding="utf-8")
    return path


def run_probes(
    lists: list[Path], url: str, results: Path, platform: str = "testbed", **settings: Any
) -> Path:
    """Run the real runner in-process against a testbed URL; returns the snapshot folder."""
    import asyncio

    from runners.execution.runner import execute
    from runners.plan.config import RunConfig
    from runners.plan.planner import make_plan

    settings.setdefault("rate", 0)
    settings.setdefault("backoff", 0.01)
    settings.setdefault("timeout", 5)
    settings.setdefault("reask_delay", 0)
    config = RunConfig(lists=lists, platforms=[platform], base_urls={platform: url}, **settings)
    result = asyncio.run(execute(make_plan(config), results))
    return result.folder
