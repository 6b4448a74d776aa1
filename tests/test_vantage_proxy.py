"""A vantage point behind a real loopback proxy (proxy.py): every request goes through it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import manifest, observations, write_list

from runners.scheduling.profiles import run_profile

pytest.importorskip("proxy", reason="the proxy test needs proxy.py (pip install proxy.py)")

PROFILE = """name: via-proxy
lists: [list.yaml]
platforms: [testbed]
base_urls: {testbed: "URL"}
pacing: {rate: 0, concurrency: 2}
vantage: {name: far-away, proxy: "PROXY", headers: headers.txt}
cadence: 1h
output: out
"""


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """proxy.py on a free loopback port; yields its URL and its log file."""
    port_file, log = tmp_path / "proxy.port", tmp_path / "proxy.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"]
        + ["--port-file", str(port_file), "--log-file", str(log), "--log-level", "INFO"]
        + ["--num-acceptors", "1", "--num-workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("proxy.py did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text().strip()}", log
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_run_through_a_proxy_records_the_vantage(
    start_testbed, tmp_path: Path, proxy: tuple[str, Path]
) -> None:
    proxy_url, proxy_log = proxy
    testbed = start_testbed()
    write_list(tmp_path / "list.yaml", [("a", "词语一"), ("b", "词语二")])
    (tmp_path / "headers.txt").write_text("X-Censorprobe-Vantage: far-away\n", encoding="utf-8")
    path = tmp_path / "profile.yaml"
    path.write_text(PROFILE.replace("URL", testbed.url).replace("PROXY", proxy_url))

    result = run_profile(path)

    assert result.status == "complete"
    rows = observations(result.folder, controls=True)
    assert rows and all(o["key"].endswith("/testbed/far-away") for o in rows)
    assert all(o["vantage"] == "far-away" for o in rows)
    assert manifest(result.folder)["config"]["proxy"] == proxy_url
    # The testbed saw every request with the vantage header ...
    searches = [entry for entry in testbed.log if not entry["path"].startswith("/_testbed")]
    assert len(searches) == sum(o["attempts"] for o in rows)
    assert all(entry["vantage"] == "far-away" for entry in searches)
    # ... through the proxy, which logged them (proxy.py writes one access-log line per
    # client connection, not per request: connections are kept alive).
    host = testbed.url.removeprefix("http://")
    deadline = time.monotonic() + 5
    while True:
        seen = [line for line in proxy_log.read_text().splitlines() if f"GET {host}/" in line]
        if seen or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert seen and all(" 200 OK " in line for line in seen)
