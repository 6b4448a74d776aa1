"""The WARC evidence: redaction by rule, a warcinfo record, files that warcio checks and indexes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support import REPO, cli, observations, only_run, run_on_testbed, write_list
from warcio.archiveiterator import ArchiveIterator

from snapshots.evidence import (
    REDACTED,
    EvidenceWriter,
    Exchange,
    Redactor,
    is_secret_name,
    read_exchange,
    redact_url,
)
from snapshots.format import TOOL
from testbed import Action, Rule, RuleBook

RULES = RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),))
TERMS = [("xi", "习近平"), ("bread", "面包"), ("tea", "喝茶")]
SESSION = "s3cr3t-custom-session-9431"
PLAIN = "pl41n-header-value-7788"  # a header whose name says nothing: secret because given
COOKIE = "c00kie-value-5150"
TOKEN = "t0ken-in-base-url-2026"


def warcio(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from warcio.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def records(warc: Path) -> list[tuple[str, dict[str, str]]]:
    with warc.open("rb") as stream:
        return [(r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(stream)]


def everything_under(folder: Path) -> bytes:
    """Every byte under the folder, gzip files unpacked too."""
    found = b""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += data + (gzip.decompress(data) if path.suffix == ".gz" else b"")
    return found


@pytest.fixture
def secret_run(start_testbed, tmp_path: Path) -> tuple[Path, Path]:
    """A real run with secret headers and a token in its base URL; (results, snapshot).

    (The adapters put their own query on the base URL, so the token is not sent: it could
    only leak through the manifest. A token sent in a URL is redacted like any parameter:
    test_given_headers_are_secret_and_echoes_are_cut_out.)
    """
    testbed = start_testbed(rules=RULES)
    headers = tmp_path / "vantage.headers"
    headers.write_text(
        f"X-Custom-Session: {SESSION}\nX-Plain: {PLAIN}\nCookie: SUB={COOKIE}\n", encoding="utf-8"
    )
    out = tmp_path / "results"
    result = run_on_testbed(
        write_list(tmp_path / "l.yaml", TERMS),
        f"{testbed.url}/?token={TOKEN}",
        out,
        "--headers",
        headers,
    )
    assert result.returncode == 0, result.stderr
    for secret in (SESSION, PLAIN, COOKIE, TOKEN):
        assert secret not in result.stdout + result.stderr
    assert testbed.log and all(entry["has_cookie"] for entry in testbed.log)
    return out, only_run(out)


def test_no_secret_in_evidence_observations_or_printed(secret_run: tuple[Path, Path]) -> None:
    out, folder = secret_run
    warc = folder / "evidence.warc.gz"
    unpacked = gzip.decompress(warc.read_bytes())
    assert b"x-custom-session: REDACTED" in unpacked and b"x-plain: REDACTED" in unpacked
    assert b"set-cookie: REDACTED" in unpacked
    found = everything_under(folder).replace((folder / "manifest.json").read_bytes(), b"")
    for secret in (SESSION, PLAIN, COOKIE, TOKEN, "testbed-session-"):
        assert secret.encode() not in found, secret
    xi = next(o for o in observations(folder) if o["term"]["id"] == "xi")
    shown = cli("evidence", folder.name, xi["key"], "--body", "--results", out)
    assert shown.returncode == 0, shown.stderr
    assert "x-custom-session: REDACTED" in shown.stdout and "搜索结果未予显示" in shown.stdout
    for secret in (SESSION, PLAIN, COOKIE, TOKEN):
        assert secret not in shown.stdout + shown.stderr


def test_no_secret_in_the_manifest(secret_run: tuple[Path, Path]) -> None:
    _, folder = secret_run
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    for secret in (SESSION, PLAIN, COOKIE, TOKEN):
        assert secret not in text, secret


def test_warc_opens_with_warcinfo_and_passes_warcio_check_and_index(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    run_on_testbed(write_list(tmp_path / "l.yaml", TERMS), testbed.url, out, check=True)
    folder = only_run(out)
    warc = folder / "evidence.warc.gz"
    found = records(warc)
    kind, headers = found[0]
    assert kind == "warcinfo" and headers["WARC-Filename"] == "evidence.warc.gz"
    with warc.open("rb") as stream:
        info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
    assert f"software: censorprobe/{TOOL['version']}\r\n" in info
    assert f"censorprobe-run-id: {folder.name}\r\n" in info
    assert [kind for kind, _ in found].count("warcinfo") == 1

    checked = warcio("check", "-v", warc)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("digest pass") == len(found), checked.stdout

    index = warcio("index", "-f", "offset,length,warc-type,warc-censorprobe-key", warc)
    assert index.returncode == 0, index.stderr
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    assert [row["warc-type"] for row in rows] == [kind for kind, _ in found]
    responses = {int(row["offset"]): row for row in rows if row["warc-type"] == "response"}
    written = observations(folder, controls=True)
    assert len(responses) == len(written)
    for observation in written:  # each observation points at its own response record
        row = responses[observation["evidence"]["offset"]]
        assert row["warc-censorprobe-key"] == observation["key"]
        ends = observation["evidence"]["offset"] + observation["evidence"]["length"]
        request = next(r for r in rows if int(r["offset"]) > int(row["offset"]))
        assert (
            request["warc-type"] == "request"
            and int(request["offset"]) + int(request["length"]) == ends
        )


def _exchange(url: str = "http://127.0.0.1:9/search?q=x") -> Exchange:
    return Exchange(
        method="GET",
        url=url,
        request_headers=[("Host", "127.0.0.1:9"), ("Accept", "*/*")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body="<p>结果</p>".encode(),
    )


def test_control_characters_cannot_inject_warc_headers(tmp_path: Path) -> None:
    warc = tmp_path / "run-a" / "evidence.warc.gz"
    warc.parent.mkdir()
    writer = EvidenceWriter(warc)
    key = "t/xi/original/testbed/home\r\nWARC-Type: revisit\r\nWARC-Injected: yes"
    ref = writer.write(_exchange("http://127.0.0.1:9/search?q=x\r\nWARC-Injected: 2"), key)
    writer.close()
    found = records(warc)
    assert [kind for kind, _ in found] == ["warcinfo", "response", "request"]
    for _, headers in found:
        assert "WARC-Injected" not in headers
    stored = read_exchange(warc, ref.offset)
    assert (
        stored.key == "t/xi/original/testbed/home%0D%0AWARC-Type: revisit%0D%0AWARC-Injected: yes"
    )
    assert warcio("check", warc).returncode == 0


def test_resume_cut_back_keeps_one_warcinfo(tmp_path: Path) -> None:
    warc = tmp_path / "run-b" / "evidence.warc.gz"
    warc.parent.mkdir()
    writer = EvidenceWriter(warc)
    first = writer.write(_exchange(), "k/1")
    second = writer.write(_exchange(), "k/2")
    writer.close()
    # A kill after the second exchange was written but before its observation: cut back to
    # the end of the first, as SnapshotWriter.evidence_end says.
    EvidenceWriter(warc, truncate_at=first.offset + first.length).close()
    assert warc.stat().st_size == second.offset
    assert [kind for kind, _ in records(warc)] == ["warcinfo", "response", "request"]
    # Cut back to nothing (no observation had evidence yet): the warcinfo record is new.
    writer = EvidenceWriter(warc, truncate_at=0)
    writer.write(_exchange(), "k/3")
    writer.close()
    found = records(warc)
    assert [kind for kind, _ in found] == ["warcinfo", "response", "request"]
    assert found[1][1]["WARC-Censorprobe-Key"] == "k/3"
    assert warcio("check", warc).returncode == 0


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Cookie", True),
        ("Set-Cookie", True),
        ("Authorization", True),
        ("Proxy-Authorization", True),
        ("X-Api-Key", True),
        ("X-Auth-Token", True),
        ("X-Custom-Session", True),
        ("x-csrf-token", True),
        ("access_token", True),
        ("msToken", True),
        ("apiKey", True),
        ("apikey", True),
        ("client_secret", True),
        ("signature", True),
        ("password", True),
        ("keyword", False),  # Bilibili's and Douyin's query
        ("q", False),
        ("wd", False),
        ("Accept-Language", False),
        ("Content-Type", False),
        ("User-Agent", False),
        ("Location", False),
    ],
)
def test_the_rule_names_secrets(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_redact_url_keeps_the_url_but_its_secrets() -> None:
    assert redact_url("https://s.example/s?q=%E4%B9%A0&token=abc&keyword=x+y&apiKey=k#frag") == (
        f"https://s.example/s?q=%E4%B9%A0&token={REDACTED}&keyword=x+y&apiKey={REDACTED}#frag"
    )
    assert redact_url("https://me:pw@s.example/a?b=1") == f"https://{REDACTED}@s.example/a?b=1"
    assert redact_url("https://s.example/cb#access_token=zz&state=1") == (
        f"https://s.example/cb#access_token={REDACTED}&state=1"
    )
    assert redact_url("https://s.example/s?wd=1&uid=7", ["UID"]) == (
        f"https://s.example/s?wd=1&uid={REDACTED}"
    )
    assert redact_url("https://s.example/plain") == "https://s.example/plain"
    assert redact_url("http://[::1/broken?token=abc") == f"http://[::1/broken?token={REDACTED}"
    assert redact_url("/next?a=1&sessionid=s#x") == f"/next?a=1&sessionid={REDACTED}#x"
    assert redact_url("//u:p@h.example/p/@me?") == f"//{REDACTED}@h.example/p/@me?"


def test_given_headers_are_secret_and_echoes_are_cut_out() -> None:
    redactor = Redactor().with_headers(["X-Plain"])
    request = httpx.Request(
        "GET",
        f"http://127.0.0.1:9/search?q=x&token={TOKEN}",
        headers={"X-Plain": PLAIN, "Accept": "*/*"},
    )
    response = httpx.Response(
        302,
        headers={"Location": f"/next?token={TOKEN}", "X-Echo": f"seen {PLAIN}"},
        content=f"<a href='/s?token={TOKEN}'>{PLAIN}</a>".encode(),
        request=request,
    )
    exchange = Exchange.capture(response, redactor)
    assert ("x-plain", REDACTED) in exchange.request_headers
    assert ("accept", "*/*") in exchange.request_headers
    assert exchange.url.endswith(f"token={REDACTED}")
    assert ("location", f"/next?token={REDACTED}") in exchange.response_headers
    assert ("x-echo", f"seen {REDACTED}") in exchange.response_headers
    assert exchange.body == f"<a href='/s?token={REDACTED}'>{REDACTED}</a>".encode()


def test_resume_keeps_the_evidence_of_confirmations(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RuleBook((Rule(parts=("白纸",), action=Action.ZERO_RESULTS),)))
    out = tmp_path / "results"
    keyword_list = write_list(tmp_path / "l.yaml", [("tea", "喝茶"), ("paper", "白纸")])
    run_on_testbed(keyword_list, testbed.url, out, "--run-id", "conf", check=True)
    folder = out / "conf"
    # A kill -9 right after the last line was written: the manifest still says running.
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    data["status"] = "running"
    (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert cli("run", "--resume", "conf", "--out", out).returncode == 0
    paper = next(o for o in observations(folder) if o["term"]["id"] == "paper")
    refs = [probe["evidence"] for probe in paper["confirmation"]["probes"]]
    assert refs and all(refs)
    for probe, ref in zip(paper["confirmation"]["probes"], refs, strict=True):
        assert read_exchange(folder / "evidence.warc.gz", ref["offset"]).key == probe["key"]
