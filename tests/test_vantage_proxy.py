"""A vantage point behind a real loopback proxy: HTTP (proxy.py) and SOCKS5 (pproxy); every
request goes through it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import manifest, observations, only_run, run_on_testbed, write_list

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


@contextlib.contextmanager
def serving(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> Iterator[None]:
    """Wait (at most 15 s) until the proxy ``process`` is ``ready``; stop it afterwards."""
    try:
        deadline = time.monotonic() + 15
        while not ready():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"{process.args} did not start")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    with serving(process, lambda: port_file.exists() and bool(port_file.read_text().strip())):
        yield f"http://127.0.0.1:{port_file.read_text().strip()}", log


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


@pytest.fixture
def socks_proxy(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real SOCKS5 server (pproxy) on a free loopback port; yields host:port and its log."""
    pytest.importorskip("pproxy", reason="the SOCKS test needs pproxy (pip install pproxy)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "socks.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pproxy", "-l", f"socks5://127.0.0.1:{port}", "-v"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    with serving(process, lambda: "Serving on" in log.read_text()):
        yield f"127.0.0.1:{port}", log


@pytest.mark.parametrize(("scheme", "resolved_by"), [("socks5", "here"), ("socks5h", "proxy")])
def test_run_through_a_socks5_proxy(
    start_testbed, tmp_path: Path, socks_proxy: tuple[str, Path], scheme: str, resolved_by: str
) -> None:
    where, log = socks_proxy
    testbed = start_testbed()
    port = testbed.url.rsplit(":", 1)[1]
    keyword_list = write_list(tmp_path / "list.yaml", [("a", "词语一"), ("b", "词语二")])
    proxy = f"{scheme}://{where}"
    result = run_on_testbed(
        keyword_list, f"http://localhost:{port}", tmp_path / "r", "--proxy", proxy
    )
    assert result.returncode == 0, result.stderr
    folder = only_run(tmp_path / "r")
    assert {o["verdict"] for o in observations(folder)} == {"visible"}
    assert manifest(folder)["config"]["proxy"] == proxy
    # Every connection went through the proxy; with socks5h the proxy was handed the name
    # (resolved at the vantage point), with socks5 the address resolved here.
    target = f"localhost:{port}" if resolved_by == "proxy" else f"127.0.0.1:{port}"
    connections = [line for line in log.read_text().splitlines() if " -> " in line]
    assert connections and all(line.endswith(f"-> {target}") for line in connections)
    searches = [entry for entry in testbed.log if not entry["path"].startswith("/_testbed")]
    assert searches


def test_a_dead_socks_proxy_is_an_error_never_censorship(start_testbed, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "list.yaml", [("a", "词语一")])
    result = run_on_testbed(
        keyword_list, testbed.url, tmp_path / "r", "--proxy", f"socks5://127.0.0.1:{dead}"
    )
    assert result.returncode == 3, result.stderr
    assert "no answer from" in result.stderr
    rows = observations(only_run(tmp_path / "r"), controls=True)
    assert rows and {o["verdict"] for o in rows} == {"error"}
    assert {o["error"]["kind"] for o in rows} == {"network"}
    assert testbed.log == []
