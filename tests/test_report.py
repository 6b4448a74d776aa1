"""``censorprobe report``: a self-contained HTML page, rendered for real in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib import image
from snapshot_maker import probe, write_snapshot
from support import cli, observations

from runners.cli.results import write_report
from snapshots import ChangeKind, diff_snapshots, resolve_snapshot
from snapshots.charts import STATE_COLOURS
from snapshots.evidence import EvidenceWriter, Exchange

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)


def render(
    page: Path, work: Path, height: int = 2400, virtual_time: int | None = None
) -> tuple[str, Path]:
    """The DOM after loading ``page`` and a screenshot of it, from one headless Chromium run
    (with ``virtual_time`` ms of virtual time for timers, lazy frames and network to go)."""
    assert CHROMIUM is not None
    shot = work / f"{page.stem}.png"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={work / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size=1280,{height}",
            *([f"--virtual-time-budget={virtual_time}"] if virtual_time else []),
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, shot


def pixels_of(shot: Path, colour: str) -> int:
    """How many pixels of the screenshot have (about) this colour."""
    target = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    picture = image.imread(shot)[:, :, :3]
    return int((abs(picture - target).max(axis=2) < 0.02).sum())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Snapshots written by the real runner: ``censorprobe demo`` in a subprocess."""
    results = tmp_path_factory.mktemp("demo") / "results"
    ran = cli("demo", "--out", results, timeout=180)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return results


@pytest.fixture(scope="module")
def report(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    return write_report(demo, out / "report.html", out / "png")


def test_page_holds_every_section_and_needs_nothing_else(demo: Path, report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for section in ("summary", "heatmap", "timeline", "changes", "censored"):
        assert f'<section id="{section}">' in page
    assert page.count('<img class="chart"') == 2
    assert "default-src 'none'" in page  # nothing may be fetched, from anywhere
    assert "<script" not in page and "<link" not in page
    assert not re.search(r'\s(src|href)="(https?:)?//', page)

    latest = resolve_snapshot("latest", demo)
    censored = [o for o in observations(latest.folder) if o["verdict"] == "censored"]
    for observation in censored:
        assert f"censorprobe evidence {latest.run_id} {observation['key']} --body" in page
        if observation["notice"]:
            assert observation["notice"] in page
    # The demo isolates its censored combination and long post: their triggers are shown.
    assert '<span lang="zh" class="trigger">习近平 + 抗议</span>' in page
    assert '<span lang="zh" class="trigger">白纸运动</span>' in page
    change = diff_snapshots(resolve_snapshot("previous", demo), latest)
    assert page.count("kind kind-newly_censored") == len(change.of_kind(ChangeKind.NEWLY_CENSORED))
    # Every saved response is embedded: HTML inert in a sandboxed frame and as source text,
    # anything else as text.
    saved = sum(1 for o in censored if o["evidence"])
    assert page.count("<summary>saved response (") == page.count("<pre>") == saved
    assert page.count('<iframe sandbox="" ') == page.count("<summary>source as text</summary>")


def test_png_charts_for_papers(report: Path) -> None:
    for name in ("heatmap", "timeline"):
        png = report.parent / "png" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert pixels_of(png, STATE_COLOURS["notice"]) > 1000


def test_a_lone_snapshot_without_observations_still_makes_a_page(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_snapshot(results, "starting", "2026-10-01T08:00:00.000Z", [], status="running")
    page = write_report(results, tmp_path / "report.html", tmp_path / "png").read_text()
    assert page.count("No probe observations to draw.") == 2
    assert "Only one snapshot: nothing to compare yet." in page
    assert not (tmp_path / "png" / "heatmap.png").exists()


def test_confidence_is_shown_and_suspected_changes_are_listed_apart(tmp_path: Path) -> None:
    results = tmp_path / "results"
    soft = {"signal": "soft", "count": 3}
    write_snapshot(
        results,
        "a",
        "2026-10-01T08:00:00.000Z",
        [probe("quiet", "visible", count=50), probe("loud", "visible", count=80)],
    )
    write_snapshot(
        results,
        "b",
        "2026-10-02T08:00:00.000Z",
        [probe("quiet", "censored", **soft), probe("loud", "censored", signal="notice")],
    )
    page = write_report(results, tmp_path / "report.html").read_text(encoding="utf-8")
    changes = page[page.index('<section id="changes">') : page.index('<section id="censored">')]
    main, apart = changes.split("Listed apart: 1 suspected or unstable")
    assert "kind-newly_censored" in main and "词loud" in main and "词quiet" not in main
    assert "suspected (newly censored)" in apart and "词quiet" in apart
    assert 'class="badge suspected"' in apart
    censored = page[page.index('<section id="censored">') :]
    rows = {row.split("</td>")[0]: row for row in censored.split("<tr><td>")[1:]}
    assert '<span class="suspected-text">suspected</span>' in rows["quiet"]
    assert "<td>confirmed</td>" in rows["loud"]


@needs_chromium
def test_report_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    dom, shot = render(report, tmp_path)
    assert "Summary of the latest run" in dom
    assert len(re.findall(r"<table", dom)) >= 3  # summary, changes, censored
    assert re.search(r"<td>testbed</td>", dom)
    assert len(re.findall(r'<img class="chart"', dom)) == 2
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The charts really drew: render them alone and find the heatmap's colours on screen.
    images = re.findall(r'<img class="chart"[^>]*>', report.read_text(encoding="utf-8"))
    charts = tmp_path / "charts.html"
    charts.write_text("<!DOCTYPE html><body>" + "".join(images) + "</body>", encoding="utf-8")
    _, drawn = render(charts, tmp_path)
    assert pixels_of(drawn, STATE_COLOURS["notice"]) > 5000
    assert pixels_of(drawn, STATE_COLOURS["visible"]) > 5000


class _Counter(socketserver.BaseRequestHandler):
    """Counts every TCP connection (a preconnect opens one and sends nothing) and every
    request line; answers 404."""

    connections: list[float] = []
    requests: list[str] = []

    def handle(self) -> None:
        self.connections.append(time.monotonic())
        self.request.settimeout(2)
        try:
            head = self.request.recv(4096)
        except OSError:
            return
        if head:
            self.requests.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
            self.request.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def counter() -> Iterator[tuple[str, type[_Counter]]]:
    """A loopback server that counts the connections and requests made to it."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Counter)
    server.daemon_threads = True
    _Counter.connections, _Counter.requests = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", _Counter
    server.shutdown()
    server.server_close()


def _hostile_page(host: str) -> bytes:
    """A saved page that reaches out every way a page can, around a platform's notice."""
    url = f"http://{host}"
    return f"""<!DOCTYPE html><html><head>
<link rel=preconnect href={url}>
<link rel=dns-prefetch href=//{host}>
<link rel=prefetch href={url}/prefetch>
<link rel=stylesheet href={url}/style.css>
<meta http-equiv=refresh content="0;url={url}/refresh">
<base href={url}/base/>
<style>@import url({url}/import.css); body {{ background: url({url}/bg.png) }}</style>
<script src={url}/script.js></script>
</head><body>
<img src={url}/img.png srcset="{url}/srcset.png 2x">
<picture><source srcset={url}/source.png><img src={url}/picture.png></picture>
<iframe src={url}/frame></iframe><object data={url}/object></object><embed src={url}/embed>
<video poster={url}/poster.png src={url}/video></video><audio src={url}/audio autoplay></audio>
<svg><image href={url}/svg.png width=10 height=10 /></svg>
<script>fetch("{url}/fetch"); new Image().src = "{url}/script-img";</script>
<div style="background-image: url({url}/inline.png)">
<p class=notice>根据相关法律法规和政策，搜索结果未予显示。</p></div>
<a href={url}/link ping={url}/ping>link</a>
<form action={url}/form><input type=image src={url}/input.png></form>
</body></html>""".encode()


def _report_with_evidence(
    results: Path, body: bytes, content_type: str = "text/html; charset=utf-8"
) -> None:
    folder = write_snapshot(results, "run", "2026-10-01T08:00:00.000Z", [])
    exchange = Exchange(
        "GET",
        "https://weibo.example/search?q=x",
        [],
        200,
        "OK",
        "HTTP/1.1",
        [("Content-Type", content_type)],
        body,
    )
    writer = EvidenceWriter(folder / "evidence.warc.gz")
    reference = writer.write(exchange, "t/bridge/original/weibo/local")
    writer.close()
    censored = probe("bridge", "censored", signal="notice", notice="搜索结果未予显示")
    censored.update(run_id="run", started_at="2026-10-01T08:00:01.000Z")
    censored["evidence"] = reference.to_json()
    (folder / "observations.jsonl").write_text(
        json.dumps(censored, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def test_saved_pages_are_rebuilt_without_anything_that_fetches(tmp_path: Path) -> None:
    results = tmp_path / "results"
    _report_with_evidence(results, _hostile_page("127.0.0.1:9"))
    page = write_report(results, tmp_path / "report.html").read_text(encoding="utf-8")
    frames = re.findall(r'<iframe ([^>]*)srcdoc="([^"]*)"', page)
    assert len(frames) == 1
    attributes, srcdoc = frames[0]
    assert 'sandbox=""' in attributes and "allow-" not in attributes
    document = html.unescape(srcdoc)
    assert "default-src 'none'" in document
    assert "根据相关法律法规和政策" in document  # what the page says is still shown
    saved = document.split("<body>", 1)[1]
    for gone in ("127.0.0.1:9", "<link", "<img", "<script", "<iframe", "<base", "<meta", "url("):
        assert gone not in saved
    # Its source is there as text, escaped: no tag of it is live in the report.
    assert "&lt;link rel=preconnect" in page and "<link" not in page


@needs_chromium
def test_opening_the_evidence_makes_no_connection(
    tmp_path: Path, counter: tuple[str, type[_Counter]]
) -> None:
    """Headless Chromium opens the report with every evidence expanded: not one connection."""
    host, seen = counter
    results = tmp_path / "results"
    _report_with_evidence(results, _hostile_page(host))
    page = write_report(results, tmp_path / "report.html")
    opened = tmp_path / "opened.html"
    opened.write_text(
        page.read_text(encoding="utf-8").replace("<details>", "<details open>"), encoding="utf-8"
    )
    dom, shot = render(opened, tmp_path, virtual_time=5000)
    assert dom.count("<iframe") == 1 and dom.count("<details open") == 2
    time.sleep(1)
    assert seen.connections == [] and seen.requests == []
    # The same saved page opened as a page of its own connects at once: the test sees leaks.
    raw = tmp_path / "raw.html"
    raw.write_bytes(_hostile_page(host))
    render(raw, tmp_path, virtual_time=5000)
    time.sleep(1)
    assert seen.connections and any("/img.png" in line for line in seen.requests)


def test_a_count_from_zero_is_not_a_percentage(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_snapshot(
        results,
        "a",
        "2026-10-01T08:00:00.000Z",
        [
            probe("empty", "visible", count=0),
            probe("lifted", "censored", signal="notice", count=0),
            probe("grew", "visible", count=1000),
        ],
    )
    write_snapshot(
        results,
        "b",
        "2026-10-02T08:00:00.000Z",
        [
            probe("empty", "visible", count=246130),
            probe("lifted", "visible", count=246130),
            probe("grew", "visible", count=1600),
        ],
    )
    page = write_report(results, tmp_path / "report.html").read_text(encoding="utf-8")
    changes = page[page.index('<section id="changes">') : page.index('<section id="platforms">')]
    assert "0 → 246,130" in changes and "+60%" in changes
    assert "24613000" not in changes and "%" not in changes.replace("+60%", "")
    result = diff_snapshots(results / "a", results / "b")
    empty = next(c for c in result.changes if "/empty/" in c.key)
    assert empty.kind == ChangeKind.COUNT_SHIFT and empty.shift is None


def test_a_bad_charset_or_a_corrupt_record_does_not_stop_the_report(tmp_path: Path) -> None:
    results = tmp_path / "results"
    # The platform declared a codec that is no text encoding.
    _report_with_evidence(results, "<p>根据相关法律法规</p>".encode(), "text/html; charset=idna")
    warc = results / "run" / "evidence.warc.gz"
    page = write_report(results, tmp_path / "idna.html").read_text(encoding="utf-8")
    assert "根据相关法律法规" in html.unescape(page)
    for corrupt in (b"not a WARC at all", b"garbage" * 10):
        warc.write_bytes(corrupt)
        page = write_report(results, tmp_path / "corrupt.html").read_text(encoding="utf-8")
        assert re.search(r"saved response unreadable: [^<]*evidence\.warc\.gz", page)
