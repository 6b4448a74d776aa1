"""Distributed runs over real Celery workers and a real Redis, against the loopback testbed.

Skipped when ``redis-server`` or the ``distributed`` extra (celery, redis) is missing.
Workers and the dispatcher run as subprocesses, as a user would start them.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO, manifest, observations, run_probes, write_list

from testbed import Action, Fault, Rule, RuleBook

pytest.importorskip("celery", reason="the distributed extra (celery) is not installed")
pytest.importorskip("redis", reason="the distributed extra (redis) is not installed")
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server binary not found on PATH")

RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("香港独立",), action=Action.ZERO_RESULTS),
    )
)
TERMS = [("full", "习近平"), ("partial", "六四"), ("zero", "香港独立")] + [
    (f"plain{i}", f"普通词{i}") for i in range(17)
]

WORKER = (
    "import sys; from pathlib import Path; from runners.cli.distributed import start_worker; "
    "start_worker(sys.argv[1], concurrency=int(sys.argv[2]), "
    "headers=Path(sys.argv[3]) if sys.argv[3:] else None)"
)
DISPATCH = (
    "import sys, typer; from runners.cli.distributed import dispatch_command; "
    "typer.run(dispatch_command)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def broker() -> Iterator[dict[str, str]]:
    """A private redis-server on a free loopback port; the env workers and dispatch need."""
    port = free_port()
    server = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        env = dict(os.environ)
        env["CENSORPROBE_BROKER"] = f"redis://127.0.0.1:{port}/0"
        env["CENSORPROBE_VISIBILITY_TIMEOUT"] = "4"
        env["PYTHONPATH"] = str(REPO)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def workers(broker: dict[str, str]) -> Iterator:
    started: list[subprocess.Popen[bytes]] = []

    def start(
        vantage: str, concurrency: int = 2, headers: Path | None = None
    ) -> subprocess.Popen[bytes]:
        extra = [str(headers)] if headers else []
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, vantage, str(concurrency), *extra],
            cwd=REPO,
            env=broker,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for_workers(env: dict[str, str], vantages: list[str], timeout: float = 20) -> None:
    code = (
        "import sys; from runners.distributed.coordinator import live_vantages; "
        "v = sys.argv[1:]; print(','.join(sorted(live_vantages(v, timeout=0.5))))"
    )
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        out = subprocess.run(
            [sys.executable, "-c", code, *vantages],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout.strip()
        if set(out.split(",")) >= set(vantages):
            return
        time.sleep(0.2)
    raise AssertionError(f"workers for {vantages} did not come up")


def dispatch(env: dict[str, str], *args: str | Path, timeout: float = 60) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DISPATCH, *map(str, args)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 45) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out


def snapshot(results: Path) -> Path:
    (folder,) = [path for path in results.iterdir() if path.is_dir()]
    return folder


def test_two_vantages_one_snapshot_same_as_local(
    start_testbed, broker, workers, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES)
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    session = tmp_path / "alpha.headers"  # alpha's session: read by its worker only
    session.write_text("# alpha's account\nCookie: SUB=alpha-secret-session\n", encoding="utf-8")
    workers("alpha", headers=session)
    workers("beta")
    wait_for_workers(broker, ["alpha", "beta"])
    finish(
        dispatch(
            broker,
            keyword_list,
            "--platform",
            "testbed",
            "--vantage",
            "alpha",
            "--vantage",
            "beta",
            "--base-url",
            testbed.url,
            "--rate",
            "0",
            "--batch-size",
            "6",
            "--deadline",
            "40",
            "--out",
            tmp_path / "dist",
        )
    )
    sent_from = {entry["vantage"] for entry in testbed.log}
    cookies = {(entry["vantage"], entry["has_cookie"]) for entry in testbed.log}
    folder = snapshot(tmp_path / "dist")
    found = observations(folder)
    keys = Counter(o["key"] for o in found)
    assert max(keys.values()) == 1
    assert {o["vantage"] for o in found} == {"alpha", "beta"}
    assert all(o["key"].endswith("/" + o["vantage"]) for o in found)
    assert manifest(folder)["status"] == "complete"

    local: dict[str, tuple] = {}
    for vantage in ("alpha", "beta"):
        here = run_probes(
            [keyword_list], testbed.url, tmp_path / f"local-{vantage}", vantage=vantage
        )
        local |= {o["key"]: (o["verdict"], o["signal"]) for o in observations(here)}
    assert {o["key"]: (o["verdict"], o["signal"]) for o in found} == local
    # Evidence is written by the coordinator, as in a local run.
    assert all(o["evidence"] and o["evidence"]["length"] > 0 for o in found)
    # Each probe's window names two control checks that are in the snapshot.
    checks = {o["check"] for o in observations(folder, controls=True) if o["role"] == "control"}
    assert all({o["controls"]["opening"], o["controls"]["closing"]} <= checks for o in found)
    # The workers sent their vantage header, and alpha's worker its own cookie, which is in no
    # file of the snapshot.
    assert sent_from == {"alpha", "beta"}
    assert cookies == {("alpha", True), ("beta", False)}
    for path in folder.iterdir():
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        assert b"alpha-secret-session" not in data, path


CONTROLS = {"天气", "牛肉面", "足球"}


def _dispatch_on(
    env: dict[str, str], keyword_list: Path, url: str, results: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    process = dispatch(
        env,
        keyword_list,
        "--platform",
        "testbed",
        "--vantage",
        "delta",
        "--base-url",
        url,
        "--rate",
        "0",
        "--batch-size",
        "5",
        "--max-attempts",
        "2",
        "--backoff",
        "0.01",
        "--deadline",
        "40",
        "--out",
        results,
        *extra,
    )
    out, err = process.communicate(timeout=50)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _faulty_vantage(start_testbed, broker, workers, tmp_path: Path, fault: Fault, terms: int):
    """A testbed answering every request with ``fault``, a list, and a live worker "delta"."""
    testbed = start_testbed(fault_rate=1.0, faults=(fault,))
    keyword_list = write_list(tmp_path / "l.yaml", [(f"d{i}", f"词语{i}") for i in range(terms)])
    workers("delta")
    wait_for_workers(broker, ["delta"])
    return testbed, keyword_list


def test_a_platform_unreachable_from_a_vantage_is_stopped_there_and_dispatch_exits_3(
    start_testbed, broker, workers, tmp_path: Path
) -> None:
    testbed, keyword_list = _faulty_vantage(
        start_testbed, broker, workers, tmp_path, Fault.RESET, 20
    )
    ended = _dispatch_on(broker, keyword_list, testbed.url, tmp_path / "dist")
    assert ended.returncode == 3, ended.stderr
    assert "testbed (vantage delta): controls check 1 failed" in ended.stderr
    assert "no answer from" in ended.stderr
    # Not one probe was sent: only controls (three a batch, two attempts each), and at most
    # the four batches' opening checks before the others were revoked.
    assert {entry["query"] for entry in testbed.log} <= CONTROLS
    assert 6 <= len(testbed.log) <= 4 * 6
    folder = snapshot(tmp_path / "dist")
    assert manifest(folder)["status"] == "interrupted"
    assert observations(folder) == []
    controls = observations(folder, controls=True)
    assert controls and all(o["verdict"] == "error" for o in controls)


def test_dispatch_exits_3_when_errors_pass_the_share(
    start_testbed, broker, workers, tmp_path: Path
) -> None:
    testbed, keyword_list = _faulty_vantage(
        start_testbed, broker, workers, tmp_path, Fault.CAPTCHA, 10
    )
    ended = _dispatch_on(
        broker, keyword_list, testbed.url, tmp_path / "dist", "--max-error-share", "1"
    )
    assert ended.returncode == 3, ended.stderr
    assert "every probe (10) is an error" in ended.stderr
    folder = snapshot(tmp_path / "dist")
    assert manifest(folder)["status"] == "complete"
    assert {o["error"]["kind"] for o in observations(folder)} == {"captcha"}


def test_killed_worker_run_completes_without_duplicates(
    start_testbed, broker, workers, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES)
    terms = [(f"k{i}", f"词语{i}") for i in range(60)]
    keyword_list = write_list(tmp_path / "l.yaml", terms)
    doomed = workers("gamma", concurrency=1)
    wait_for_workers(broker, ["gamma"])
    results = tmp_path / "dist"
    running = dispatch(
        broker,
        keyword_list,
        "--platform",
        "testbed",
        "--vantage",
        "gamma",
        "--base-url",
        testbed.url,
        "--rate",
        "25",
        "--burst",
        "1",
        "--batch-size",
        "5",
        "--deadline",
        "45",
        "--out",
        results,
    )
    ends = time.monotonic() + 20
    while time.monotonic() < ends:  # kill once some, not all, results are in
        lines = list(results.glob("*/observations.jsonl"))
        if lines and lines[0].read_text().count('"role":"probe"') >= 5:
            break
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=5)
    written = lines[0].read_text().count('"role":"probe"')
    assert written < 60, "the run ended before the worker could be killed"
    workers("gamma", concurrency=1)
    finish(running, timeout=50)
    folder = snapshot(results)
    found = observations(folder)
    keys = Counter(o["key"] for o in found)
    assert len(keys) == 60 and max(keys.values()) == 1
    assert manifest(folder)["status"] == "complete"
    assert manifest(folder)["counts"]["testbed"]["probes"] == 60


def test_two_workers_share_one_rate_limit(start_testbed, broker, workers, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    terms = [(f"r{i}", f"限速{i}") for i in range(60)]
    keyword_list = write_list(tmp_path / "l.yaml", terms)
    workers("delta", concurrency=2)
    workers("delta", concurrency=2)
    wait_for_workers(broker, ["delta"])
    finish(
        dispatch(
            broker,
            keyword_list,
            "--platform",
            "testbed",
            "--vantage",
            "delta",
            "--base-url",
            testbed.url,
            "--rate",
            "20",
            "--burst",
            "1",
            "--batch-size",
            "15",
            "--concurrency",
            "4",
            "--deadline",
            "40",
            "--out",
            tmp_path / "dist",
        )
    )
    times = sorted(entry["t"] for entry in testbed.log if entry["vantage"] == "delta")
    assert len(times) >= 60
    # Seen by the platform, on average: arrival times also carry the machine's scheduling
    # delays, so the per-second bound is checked on the booked slots (test below).
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= 20 * 1.1, f"{rate:.1f} requests/s at --rate 20"
    # and both workers really probed (several batches ran at once)
    found = observations(snapshot(tmp_path / "dist"))
    assert len(found) == 60


def censorprobe(env: dict[str, str], log: Path, *args: str | Path) -> subprocess.Popen[str]:
    """``python -m runners.cli ARGS`` as a user would start it; output to ``log``."""
    with log.open("w") as stream:
        return subprocess.Popen(
            [sys.executable, "-m", "runners.cli", *map(str, args)],
            cwd=REPO,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            text=True,
        )


def test_killed_coordinator_resumes_where_it_was(
    start_testbed, broker, workers, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES)
    planned = 40
    terms = [(f"c{i}", f"续跑{i}") for i in range(planned)]
    keyword_list = write_list(tmp_path / "l.yaml", terms)
    workers("epsilon", concurrency=1)
    wait_for_workers(broker, ["epsilon"])
    results, run_id = tmp_path / "dist", "coordinator-killed"
    paced = ("--rate", "20", "--burst", "1", "--batch-size", "5", "--deadline", "20")
    started: list[subprocess.Popen[str]] = []
    try:
        first = censorprobe(
            broker,
            tmp_path / "first.log",
            "dispatch",
            keyword_list,
            "--platform",
            "testbed",
            "--vantage",
            "epsilon",
            "--base-url",
            testbed.url,
            *paced,
            "--run-id",
            run_id,
            "--out",
            results,
        )
        started.append(first)
        lines = results / run_id / "observations.jsonl"
        ends = time.monotonic() + 10
        while time.monotonic() < ends and first.poll() is None:  # kill once some are in
            if lines.exists() and lines.read_text().count('"role":"probe"') >= 5:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=5)
        assert first.returncode == -signal.SIGKILL, "the run ended before it could be killed"
        before = lines.read_text(encoding="utf-8")
        before = before[: before.rfind("\n") + 1]  # a torn last line is dropped on resume
        written = {
            o["key"]: o["query"]
            for o in map(json.loads, before.splitlines())
            if o["role"] == "probe"
        }
        assert 5 <= len(written) < planned
        assert manifest(results / run_id)["status"] == "running"

        restarted = time.time()
        second = censorprobe(
            broker,
            tmp_path / "second.log",
            "dispatch",
            "--resume",
            run_id,
            *paced,
            "--out",
            results,
        )
        started.append(second)
        second.wait(timeout=25)
        output = (tmp_path / "second.log").read_text()
        assert second.returncode == 0, f"exit {second.returncode}\n{output}"
        left = planned - len(written)
        assert f"committed {left}/{left}" in output  # progress counts what was left
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=5)

    folder = results / run_id
    assert manifest(folder)["status"] == "complete"
    assert manifest(folder)["counts"]["testbed"]["probes"] == planned
    # The lines written before the kill are kept as they were; the resume only appended.
    assert lines.read_text(encoding="utf-8").startswith(before)
    found = observations(folder)
    keys = Counter(o["key"] for o in found)
    assert len(keys) == planned and max(keys.values()) == 1  # none lost, none twice
    assert {o["query"] for o in found} == {text for _, text in terms}
    assert all(found_key in keys for found_key in written)
    # What was written was not probed again after the restart; the keys of the batches that
    # were queued or in flight at the kill may have been probed twice, nothing more.
    asked = [entry for entry in testbed.log if entry["query"] in dict(terms).values()]
    again = {e["query"] for e in asked if e["t"] >= restarted} & set(written.values())
    assert not again, f"probed again after the restart: {sorted(again)}"
    # The batches that came back after the kill were written by the resume, and the ones still
    # queued were dropped by the worker (a new generation): only the batch in flight when the
    # resume began (one worker, one batch at a time) may have been probed twice.
    assert len(asked) <= planned + 5, Counter(entry["query"] for entry in asked)


def test_a_batch_of_a_replaced_dispatch_is_dropped_unprobed(
    start_testbed, broker, monkeypatch
) -> None:
    """What a killed coordinator left queued is not probed once its run is resumed."""
    from runners.distributed.generation import is_current, start_generation
    from runners.distributed.tasks import probe_batch
    from runners.plan.config import RunConfig

    url = broker["CENSORPROBE_BROKER"]
    monkeypatch.setenv("CENSORPROBE_BROKER", url)
    testbed = start_testbed(rules=RULES)
    earlier = start_generation(url, "replaced")
    later = start_generation(url, "replaced")
    assert earlier and later and earlier != later
    assert is_current(url, "replaced", later) and not is_current(url, "replaced", earlier)
    assert is_current(url, "another-run", earlier)  # no generation for it: nothing is dropped
    settings = RunConfig(
        lists=[], platforms=["testbed"], base_urls={"testbed": testbed.url}, rate=0, timeout=5
    ).model_dump(mode="json")
    probes, controls = [{"key": "k", "parts": ["习近平"]}], [{"key": "c", "parts": ["天气"]}]
    args = ("replaced", "testbed", settings, "alpha", probes, controls)
    assert probe_batch(*args, earlier) == {"run_id": "replaced", "stale": True}
    assert testbed.log == []
    body = probe_batch(*args, later)
    assert [row["key"] for row in body["probes"]] == ["k"]
    assert [entry["query"] for entry in testbed.log] == ["天气", "习近平", "天气"]


def test_pacers_sharing_redis_never_book_more_than_rate_plus_burst_a_second(
    broker: dict[str, str],
) -> None:
    from runners.distributed.ratelimit import RedisPacer

    url = broker["CENSORPROBE_BROKER"]

    async def book(pacer: RedisPacer, slots: list[float]) -> None:
        for _ in range(40):
            slots.append(time.time() + await pacer.reserve())
            await asyncio.sleep(0)

    async def two_workers() -> list[float]:
        pacers = [RedisPacer(url, "eps", "testbed", rate=20, burst=3) for _ in range(2)]
        slots: list[float] = []
        await asyncio.gather(*(book(pacer, slots) for pacer in pacers))
        for pacer in pacers:
            await pacer.aclose()
        return sorted(slots)

    slots = asyncio.run(two_workers())
    busiest = max(sum(1 for t in slots[i:] if t - start < 1.0) for i, start in enumerate(slots))
    assert busiest <= 20 + 3, f"{busiest} slots booked in one second at rate 20, burst 3"
    span = slots[-1] - slots[0]
    assert span >= (80 - 3) / 20 * 0.95  # 80 slots at 20/s after a burst of 3
