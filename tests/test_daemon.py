"""The daemon: runs a profile on its cadence, catches up a missed run, stops cleanly."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import write_list

from runners.scheduling.daemon import STATE_FILE, Daemon, configure_log, is_due, read_state
from runners.scheduling.profiles import Profile, load_profile, profile_runs

PROFILE = """name: tick
lists: [list.yaml]
platforms: [testbed]
base_urls: {testbed: "URL"}
pacing: {rate: 0}
cadence: CADENCE
output: out
"""


def _profile(tmp_path: Path, url: str, cadence: str) -> Profile:
    write_list(tmp_path / "list.yaml", [("a", "词语一"), ("b", "词语二")])
    path = tmp_path / "tick.yaml"
    path.write_text(PROFILE.replace("URL", url).replace("CADENCE", cadence), encoding="utf-8")
    return load_profile(path)


def _run_for(profile: Profile, seconds: float) -> None:
    daemon = Daemon([profile])
    daemon.start()
    try:
        time.sleep(seconds)
    finally:
        daemon.stop()


def test_one_second_cadence(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    profile = _profile(tmp_path, testbed.url, "1s")
    log = tmp_path / "daemon.log"
    configure_log(log)
    try:
        _run_for(profile, 3.5)
    finally:
        for name in ("censorprobe", "apscheduler"):
            for handler in logging.getLogger(name).handlers[:]:
                logging.getLogger(name).removeHandler(handler)
                handler.close()
    runs = profile_runs(profile)
    # A first run at once (never run before), then one a second: 3 or 4 in 3.5 s.
    assert 3 <= len(runs) <= 5, [folder.name for folder, _ in runs]
    assert all(manifest["status"] == "complete" for _, manifest in runs)
    state = read_state(profile)
    assert state["status"] == "complete" and state["run_id"] == runs[-1][0].name
    # One line per run, with what it measured; none of the scheduler's INFO chatter.
    lines = log.read_text(encoding="utf-8").splitlines()
    per_run = [line for line in lines if ": run " in line]
    assert len(per_run) == len(runs)
    assert all(" complete in " in line and "2 probes, 2 visible" in line for line in per_run)
    assert not [line for line in lines if "apscheduler" in line], lines


def _set_last_run(profile: Profile, when: datetime) -> None:
    profile.output_dir.mkdir(parents=True, exist_ok=True)
    (profile.output_dir / STATE_FILE).write_text(
        json.dumps({profile.name: {"last_run": when.isoformat()}}), encoding="utf-8"
    )


def test_catches_up_a_missed_run_at_start(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    profile = _profile(tmp_path, testbed.url, "1h")
    _set_last_run(profile, datetime.now(UTC) - timedelta(hours=2))  # down past a due time
    _run_for(profile, 1.0)
    assert len(profile_runs(profile)) == 1


def test_no_run_when_nothing_was_missed(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    profile = _profile(tmp_path, testbed.url, "0 0 * * *")
    _set_last_run(profile, datetime.now(UTC))
    _run_for(profile, 0.8)
    assert profile_runs(profile) == []


def test_is_due_for_cron_and_interval(tmp_path: Path) -> None:
    daily = _profile(tmp_path, "http://127.0.0.1:9", "0 6 * * *")
    at = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    assert not is_due(daily, at, at + timedelta(hours=22))
    assert is_due(daily, at, at + timedelta(hours=23, minutes=1))
    assert is_due(daily, None, at)


def test_stop_interrupts_and_next_run_resumes(
    start_testbed, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    testbed = start_testbed()
    write_list(tmp_path / "list.yaml", [(f"t{i}", f"词语{i}") for i in range(10)])
    path = tmp_path / "tick.yaml"
    text = PROFILE.replace("URL", testbed.url).replace("CADENCE", "1h")
    path.write_text(
        text.replace("pacing: {rate: 0}", "pacing: {rate: 5, burst: 1, concurrency: 1}")
    )
    profile = load_profile(path)
    with caplog.at_level(logging.INFO, logger="censorprobe.daemon"):
        _run_for(profile, 1.2)  # 16 requests at 5/s: stopped mid-run
    (line,) = [r for r in caplog.records if ": run " in r.getMessage()]
    assert line.levelno == logging.WARNING and " interrupted in " in line.getMessage()
    ((folder, first),) = profile_runs(profile)
    assert first["status"] == "interrupted"
    assert read_state(profile)["status"] == "interrupted"
    _set_last_run(profile, datetime.now(UTC) - timedelta(hours=2))
    daemon = Daemon([profile])
    daemon.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and read_state(profile).get("status") != "complete":
        time.sleep(0.1)
    daemon.stop()
    ((again, second),) = profile_runs(profile)
    assert again == folder and second["status"] == "complete" and second["resumed_at"]
