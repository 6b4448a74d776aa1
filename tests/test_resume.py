"""Crash safety: kill -9 a real `censorprobe run` again and again, resume, lose and repeat nothing."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import REPO, cli, manifest, observations, run_on_testbed, write_list
from warcio.archiveiterator import ArchiveIterator

from snapshots.evidence import read_exchange
from testbed import Action, Rule, RuleBook

TERMS = [(f"t{i:03d}", f"词语{i}" + ("习近平" if i % 7 == 0 else "")) for i in range(240)]
RULES = RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),))


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "runners.cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_after(
    process: subprocess.Popen[bytes], jsonl: Path, at_least: int, deadline: float
) -> bool:
    """SIGKILL once the file has `at_least` lines; False if the run finished first."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _lines(jsonl) >= at_least:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    process.kill()
    raise AssertionError("the run made no progress")


def test_kill_nine_at_random_points_then_resume(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS)
    out = tmp_path / "results"
    run_id = "crashy"
    folder = out / run_id
    jsonl = folder / "observations.jsonl"
    common = ["--out", str(out)]
    first = [
        str(keyword_list),
        "--platform",
        "testbed",
        "--base-url",
        testbed.url,
        "--rate",
        "150",
        "--burst",
        "1",
        "--control-every",
        "20",
        "--run-id",
        run_id,
        *common,
    ]
    dice = random.Random(20261123)
    kills = 0
    process = _start(["run", *first])
    deadline = time.monotonic() + 120
    while kills < 12:
        target = _lines(jsonl) + dice.randint(1, 25)
        if not _kill_after(process, jsonl, target, deadline):
            break
        kills += 1
        assert (
            manifest(folder)["status"] == "running"
        )  # a kill -9 leaves no chance to say otherwise
        process = _start(["run", "--resume", run_id, *common])
    assert kills >= 10, f"only {kills} kills before the run finished"
    assert process.wait(timeout=120) == 0

    found = observations(folder)
    keys = [o["key"] for o in found]
    assert len(keys) == len(set(keys)), "an observation was duplicated"
    assert set(keys) == {f"t/{term_id}/original/testbed/local" for term_id, _ in TERMS}, (
        "an observation was lost"
    )
    data = manifest(folder)
    assert data["status"] == "complete"
    assert len(data["resumed_at"]) == kills
    assert data["counts"]["testbed"]["probes"] == len(TERMS)
    assert data["counts"]["testbed"]["censored"] == {
        "notice": sum(1 for _, t in TERMS if "习近平" in t)
    }

    # Every observation's evidence reads back as its own exchange, and the WARC is whole.
    warc = folder / "evidence.warc.gz"
    for observation in observations(folder, controls=True):
        reference = observation["evidence"]
        stored = read_exchange(warc, reference["offset"])
        assert stored.key == observation["key"]
        assert hashlib.sha256(stored.body).hexdigest() == reference["sha256"]
    with warc.open("rb") as stream:
        records = [record.rec_type for record in ArchiveIterator(stream)]
    assert records.count("response") == records.count("request")
    assert records.count("response") == len(observations(folder, controls=True))


def test_torn_last_line_is_dropped_on_resume(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS[:30])
    out = tmp_path / "results"
    run_on_testbed(keyword_list, testbed.url, out, "--run-id", "torn", check=True)
    folder = out / "torn"
    lines = (folder / "observations.jsonl").read_bytes().splitlines(keepends=True)
    # Pretend the process died while writing the last probe line and before the end.
    (folder / "observations.jsonl").write_bytes(b"".join(lines[:-8]) + lines[-8][:25])
    data = manifest(folder)
    data["status"] = "running"
    (folder / "manifest.json").write_text(__import__("json").dumps(data), encoding="utf-8")
    result = cli("run", "--resume", "torn", "--out", out)
    assert result.returncode == 0, result.stderr
    keys = [o["key"] for o in observations(folder)]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 30


def test_complete_snapshot_is_never_reopened(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS[:3])
    out = tmp_path / "results"
    run_on_testbed(keyword_list, testbed.url, out, "--run-id", "done", check=True)
    result = cli("run", "--resume", "done", "--out", out)
    assert result.returncode == 1
    assert "immutable" in result.stderr


def test_sigterm_interrupts_cleanly_and_resume_completes(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS)
    out = tmp_path / "results"
    process = _start(
        [
            "run",
            str(keyword_list),
            "--platform",
            "testbed",
            "--base-url",
            testbed.url,
            "--rate",
            "100",
            "--run-id",
            "term",
            "--out",
            str(out),
        ]
    )
    jsonl = out / "term" / "observations.jsonl"
    deadline = time.monotonic() + 60
    while _lines(jsonl) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 130
    data = manifest(out / "term")
    assert data["status"] == "interrupted"
    done = observations(out / "term")
    assert 0 < len(done) < len(TERMS)
    assert all(o["controls"]["closing"] > o["controls"]["opening"] for o in done)
    assert cli("run", "--resume", "term", "--out", out).returncode == 0
    assert len(observations(out / "term")) == len(TERMS)


def test_two_resumes_at_once_one_is_refused(start_testbed, tmp_path: Path) -> None:
    """Two `--resume` of one killed run start together: one writes it, the other is refused."""
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS[:120])
    out = tmp_path / "results"
    jsonl = out / "twice" / "observations.jsonl"
    first = _start(
        [
            "run",
            str(keyword_list),
            "--platform",
            "testbed",
            "--base-url",
            testbed.url,
            "--rate",
            "40",
            "--run-id",
            "twice",
            "--out",
            str(out),
        ]
    )
    assert _kill_after(first, jsonl, 10, time.monotonic() + 60)
    before = len(testbed.log)
    resumes = [
        subprocess.Popen(
            [sys.executable, "-m", "runners.cli", "run", "--resume", "twice", "--out", str(out)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    ended = [process.communicate(timeout=120) for process in resumes]
    codes = sorted(process.returncode for process in resumes)
    assert codes == [0, 1], ended
    refused = next(
        err for process, (_, err) in zip(resumes, ended, strict=True) if process.returncode == 1
    )
    assert "another censorprobe process" in refused and "is writing this run" in refused
    keys = [o["key"] for o in observations(out / "twice")]
    assert len(keys) == len(set(keys)) == 120
    assert manifest(out / "twice")["status"] == "complete"
    controls = {"天气", "牛肉面", "足球"}
    sent = [entry["query"] for entry in testbed.log[before:] if entry["query"] not in controls]
    assert sent and len(sent) == len(set(sent)), "the refused resume sent probes too"


def _seed_where_first_asks_fault(query: str, asks: int, rate: float) -> int:
    """A testbed seed whose dice give ``query`` a fault on each of its first ``asks`` asks."""
    from testbed import Fault, TestbedConfig
    from testbed.server import Testbed

    for seed in range(10_000):
        dice = Testbed(TestbedConfig(fault_rate=rate, faults=(Fault.SERVER_ERROR,), seed=seed))
        if all(dice._roll_fault(query) for _ in range(asks)):
            return seed
    raise AssertionError("no seed found")


def test_a_probe_between_retries_at_ctrl_c_is_not_written_and_resume_asks_it(
    start_testbed, tmp_path: Path
) -> None:
    from testbed import Fault

    terms = [("flaky", "不稳定"), *TERMS[:30]]
    seed = _seed_where_first_asks_fault("不稳定", 2, 0.5)
    testbed = start_testbed(fault_rate=0.5, faults=(Fault.SERVER_ERROR,), seed=seed)
    keyword_list = write_list(tmp_path / "list.yaml", terms)
    out = tmp_path / "results"
    args = ["run", str(keyword_list), "--platform", "testbed", "--base-url", testbed.url]
    args += ["--rate", "0", "--backoff", "1", "--control-every", "5", "--run-id", "cut"]
    process = _start([*args, "--out", str(out)])
    deadline = time.monotonic() + 60
    while not any(e["query"] == "不稳定" for e in testbed.log) and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)  # the flaky probe now waits for its second attempt
    assert process.wait(timeout=60) == 130
    folder = out / "cut"
    assert manifest(folder)["status"] == "interrupted"
    written = observations(folder)
    assert "t/flaky/original/testbed/local" not in {o["key"] for o in written}
    for observation in written:  # no error written with attempts left
        if observation["verdict"] == "error" and observation["error"]["kind"] == "http_status":
            assert observation["attempts"] == 5, observation
    asked_before = len(testbed.log)

    assert cli("run", "--resume", "cut", "--out", out, "--max-error-share", "1").returncode == 0
    keys = [o["key"] for o in observations(folder)]
    assert len(keys) == len(set(keys)) == len(terms)
    assert any(e["query"] == "不稳定" for e in testbed.log[asked_before:]), "not asked again"


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")


def test_full_disk_stops_at_once_and_resumes_once_there_is_room(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "list.yaml", TERMS)
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "160k")
    try:
        out = disk / "results"
        failed = run_on_testbed(
            keyword_list, testbed.url, out, "--run-id", "full", "--control-every", "5"
        )
        assert failed.returncode == 4, failed.stderr
        assert "No space left on device" in failed.stderr
        assert "--resume full" in failed.stderr and "Traceback" not in failed.stderr
        folder = out / "full"
        # The writer's reserve (.reserve) leaves room to mark the run interrupted.
        assert "(marked interrupted)" in failed.stderr
        assert manifest(folder)["status"] == "interrupted"
        written = observations(folder, controls=True)
        probes_sent = [e for e in testbed.log if e["query"] not in {"天气", "牛肉面", "足球"}]
        # Stopped at once: no request after the failed write (the last change to a file of
        # the snapshot); unwritten are only the probes in flight and those answered but
        # waiting for their window's closing check, where the full plan is 240.
        failed_at = max(path.stat().st_mtime for path in folder.iterdir())
        assert [e for e in testbed.log if e["t"] > failed_at + 1.0] == []
        assert len(written) < len(TERMS)
        assert len(probes_sent) - len(observations(folder)) <= 40
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        resumed = cli("run", "--resume", "full", "--out", out)
        assert resumed.returncode == 0, resumed.stderr
        found = observations(folder, controls=True)
        keys = [o["key"] for o in found if o["role"] == "probe"]
        assert len(keys) == len(set(keys)) == len(TERMS)
        assert manifest(folder)["status"] == "complete"
        assert not (folder / ".reserve").exists()
        warc = folder / "evidence.warc.gz"
        for observation in found:
            stored = read_exchange(warc, observation["evidence"]["offset"])
            assert stored.key == observation["key"]
        with warc.open("rb") as stream:
            records = [record.rec_type for record in ArchiveIterator(stream)]
        assert records.count("response") == len(found)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
