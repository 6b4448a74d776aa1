"""A run that is told to stop ends the prober's waits at once: a back-off, a platform's
Retry-After pause, a probe waiting for its turn. Real HTTP to the testbed on loopback, which
answers every request with a 429 (a long Retry-After) or a 500 (a long back-off)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import REPO, manifest, observations, only_run, write_list

from probes.contract import Query
from probes.outcome import ErrorKind, Verdict
from probes.platforms.testbed import TestbedAdapter
from runners.execution.prober import Attempted, Prober
from runners.plan.config import RunConfig
from testbed import Fault, RunningTestbed

LONG = 300  # seconds: a wait the test would notice


def _config(url: str, **settings: Any) -> RunConfig:
    settings = {"rate": 0, "max_attempts": 5, "timeout": 5, **settings}
    return RunConfig(
        lists=[Path("unused.yaml")], platforms=["testbed"], base_urls={"testbed": url}, **settings
    )


async def _until(condition: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the testbed was never asked"
        await asyncio.sleep(0.01)


async def _stopped_while_waiting(
    testbed: RunningTestbed, config: RunConfig, texts: tuple[str, ...]
) -> tuple[list[Attempted], float]:
    """Probe ``texts``, the later ones once the first was answered; stop; how long it took."""
    stop = asyncio.Event()
    async with Prober(TestbedAdapter(testbed.url), config, stop=stop) as prober:
        first = asyncio.create_task(prober.probe(Query(texts[0])))
        await _until(lambda: len(testbed.log) >= 1)
        rest = [asyncio.create_task(prober.probe(Query(text))) for text in texts[1:]]
        await asyncio.sleep(0.3)  # all of them are waiting now
        assert not first.done()
        begun = time.monotonic()
        stop.set()
        found = await asyncio.wait_for(asyncio.gather(first, *rest), timeout=10)
        return list(found), time.monotonic() - begun


def test_a_stop_ends_a_retry_after_pause_and_the_turns_waiting_behind_it(start_testbed) -> None:
    testbed = start_testbed(fault_rate=1.0, faults=(Fault.RATE_LIMIT,), retry_after=LONG)
    config = _config(testbed.url, max_retry_after=600)
    (first, second), took = asyncio.run(_stopped_while_waiting(testbed, config, ("天气", "足球")))
    assert took < 1.5, f"the stop took {took:.1f} s to end a {LONG} s Retry-After"
    # The answered probe ends with its answer, cut short (attempts left) ...
    assert (first.outcome.verdict, first.outcome.error) == (Verdict.ERROR, ErrorKind.RATE_LIMITED)
    assert first.attempts == 1 < config.max_attempts and first.status == 429
    # ... the one that waited for the paused platform was never sent.
    assert second.attempts == 0 and second.exchange is None and second.status is None
    assert second.outcome.retryable
    assert [entry["query"] for entry in testbed.log] == ["天气"]


def test_a_stop_ends_a_back_off_at_once(start_testbed) -> None:
    testbed = start_testbed(fault_rate=1.0, faults=(Fault.SERVER_ERROR,))
    config = _config(testbed.url, backoff=LONG)
    (attempted,), took = asyncio.run(_stopped_while_waiting(testbed, config, ("天气",)))
    assert took < 1.5, f"the stop took {took:.1f} s to end a {LONG} s back-off"
    assert attempted.outcome.error is ErrorKind.HTTP_STATUS and attempted.status == 500
    assert attempted.attempts == 1 and len(testbed.log) == 1


def test_a_first_ctrl_c_ends_a_run_waiting_out_a_retry_after(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(fault_rate=1.0, faults=(Fault.RATE_LIMIT,), retry_after=LONG)
    keyword_list = write_list(tmp_path / "l.yaml", [("t0", "词语")])
    run = [sys.executable, "-m", "runners.cli", "run", str(keyword_list), "-p", "testbed"]
    run += ["--base-url", testbed.url, "--rate", "0", "--out", str(tmp_path / "r")]
    process = subprocess.Popen(run, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not testbed.log and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # the opening check got its 429s: the platform is paused
        begun = time.monotonic()
        process.send_signal(signal.SIGINT)  # once: stop gracefully
        code = process.wait(timeout=20)
    finally:
        process.kill()
        stderr = process.communicate()[1].decode()
    assert code == 130, stderr
    assert time.monotonic() - begun < 5
    folder = only_run(tmp_path / "r")
    assert manifest(folder)["status"] == "interrupted"
    assert observations(folder, controls=True) == []  # cut short: nothing written
