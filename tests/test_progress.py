"""The progress view tells sent and answered apart from committed, per platform, with an ETA."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import REPO, write_list

from runners.execution.progress import PlatformProgress, RunWatcher
from runners.execution.runner import execute
from runners.plan.config import RunConfig
from runners.plan.planner import make_plan

TERMS = [(f"w{i}", f"词语{i}") for i in range(24)]


class Recorder(RunWatcher):
    """Notes (sent, answered, committed) of the testbed platform at each event."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, int]] = []

    def _note(self) -> None:
        counts = self.platforms["testbed"]
        self.seen.append((counts.sent, counts.answered, counts.committed))

    def sent(self, platform: str) -> None:
        super().sent(platform)
        self._note()

    def answered(self, platform: str) -> None:
        super().answered(platform)
        self._note()

    def committed(self, observation: dict[str, Any]) -> None:
        super().committed(observation)
        self._note()


def test_answered_probes_count_before_their_closing_check_commits_them(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed()
    config = RunConfig(
        lists=[write_list(tmp_path / "l.yaml", TERMS)],
        platforms=["testbed"],
        base_urls={"testbed": testbed.url},
        rate=0,
        reask_delay=0,
        control_every=50,  # one window: nothing is committed before the last check
    )
    plan = make_plan(config)
    recorder = Recorder()
    recorder.begin("testbed", plan.total(), 0)
    asyncio.run(execute(plan, tmp_path / "results", watcher=recorder))
    assert recorder.seen[-1] == (24, 24, 24)
    assert any(answered == 24 and committed == 0 for _, answered, committed in recorder.seen)
    assert all(sent >= answered >= committed for sent, answered, committed in recorder.seen)


def test_eta_comes_from_the_pacing_then_from_the_answers() -> None:
    counts = PlatformProgress(total=100, rate=2.0, started=1000.0)
    assert counts.eta_seconds(now=1000.0) == 50.0  # 100 probes at 2 a second
    counts.answered = 10
    assert counts.eta_seconds(now=1020.0) == 180.0  # 10 answers in 20 s: 90 left at 0.5/s
    unpaced = PlatformProgress(total=10, rate=0.0, started=0.0)
    assert unpaced.eta_seconds(now=0.0) is None
    counts.answered = 100
    assert counts.eta_seconds(now=2000.0) == 0.0


def _run(url: str, keyword_list: Path, results: Path, *rate: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "run", keyword_list, "--platform", "testbed"]
        + ["--base-url", url, *rate, "--reask-delay", "0", "--out", str(results)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def test_a_log_gets_one_line_per_platform_and_ends_on_the_totals(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    run = _run(testbed.url, keyword_list, tmp_path / "results", "--rate", "0")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    lines = [line for line in out.splitlines() if line.startswith("probing: testbed:")]
    assert lines, out
    assert re.fullmatch(
        r"probing: testbed: sent 24 · answered 24 · committed 24/24 · ETA 0:00", lines[-1]
    )


def test_ctrl_c_is_acknowledged_with_a_line(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    run = _run(testbed.url, keyword_list, tmp_path / "results", "--rate", "4")
    deadline = time.monotonic() + 60
    while not any(e["query"] == "词语0" for e in testbed.log if e.get("query")):
        assert time.monotonic() < deadline and run.poll() is None, "the run never probed"
        time.sleep(0.05)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, (out, err)
    assert "probing: stopping: probes in flight finish" in out
