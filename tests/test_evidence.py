"""Evidence: WARC records per exchange, secrets redacted, readable through the CLI."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from snapshot_maker import probe, write_snapshot
from support import cli, observations, only_run, run_on_testbed, write_list
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from runners.cli import app
from snapshots.evidence import EvidenceWriter, Exchange, Redactor
from testbed import Action, Rule, RuleBook

RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.ZERO_RESULTS),
    )
)
TERMS = [("xi", "习近平"), ("bread", "面包")]


def test_redactor_hides_secret_headers_and_params() -> None:
    redactor = Redactor().with_params(["wd_token"])
    url = redactor.url("https://x.example/s?q=1&access_token=abc&WD_TOKEN=zz&keep=2")
    assert "abc" not in url and "zz" not in url and "keep=2" in url and "q=1" in url
    headers = redactor.header_list(
        [("Cookie", "a=b"), ("Authorization", "Bearer t"), ("Accept", "*/*")]
    )
    assert headers == [("Cookie", "REDACTED"), ("Authorization", "REDACTED"), ("Accept", "*/*")]


def test_warc_holds_each_exchange_without_secrets(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    headers = tmp_path / "headers.txt"
    headers.write_text(
        "Cookie: SUB=SECRETCOOKIE123\nAuthorization: Bearer SECRETTOKEN456\n", encoding="utf-8"
    )
    out = tmp_path / "results"
    result = run_on_testbed(
        write_list(tmp_path / "l.yaml", TERMS),
        testbed.url,
        out,
        "--headers",
        headers,
        "--redact-param",
        "q",
    )
    assert result.returncode == 0, result.stderr
    assert all(entry["has_cookie"] for entry in testbed.log), "the cookie must reach the platform"
    folder = only_run(out)
    warc = folder / "evidence.warc.gz"
    with gzip.open(warc) as unpacked:
        everything = unpacked.read() + b"".join(p.read_bytes() for p in folder.iterdir())
    for secret in (b"SECRETCOOKIE123", b"SECRETTOKEN456", b"testbed-session-"):
        assert secret not in everything, secret
    # --redact-param q: the query text itself is kept out of URLs, as asked.
    assert all("REDACTED" in o["request"]["url"] for o in observations(folder))
    with warc.open("rb") as stream:
        records = list(ArchiveIterator(stream))
    kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Censorprobe-Key")) for r in records]
    assert kinds[0] == ("warcinfo", None)
    assert len(kinds) == 1 + 2 * len(observations(folder, controls=True))
    assert all(
        r.rec_headers.get_header("WARC-Date") and r.rec_headers.get_header("WARC-Target-URI")
        for r in records[1:]
    )


def test_evidence_command_prints_the_exchange(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    run_on_testbed(write_list(tmp_path / "l.yaml", TERMS), testbed.url, out, check=True)
    folder = only_run(out)
    xi = next(o for o in observations(folder) if o["term"]["id"] == "xi")
    shown = cli("evidence", folder.name, xi["key"], "--body", "--results", out)
    assert shown.returncode == 0, shown.stderr
    assert "GET /search?q=" in shown.stdout
    assert "200 OK" in shown.stdout
    assert "搜索结果未予显示" in shown.stdout
    assert xi["evidence"]["sha256"] in shown.stdout
    missing = cli("evidence", folder.name, "t/nope/original/testbed/local", "--results", out)
    assert missing.returncode == 1 and "no observation" in missing.stderr


def test_no_evidence_writes_no_warc(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    run_on_testbed(
        write_list(tmp_path / "l.yaml", TERMS), testbed.url, out, "--no-evidence", check=True
    )
    folder = only_run(out)
    assert not (folder / "evidence.warc.gz").exists()
    assert all(o["evidence"] is None for o in observations(folder))
    xi = next(o for o in observations(folder) if o["term"]["id"] == "xi")
    assert xi["signal"] == "notice"


def test_evidence_sha256_matches_the_body(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    run_on_testbed(write_list(tmp_path / "l.yaml", TERMS), testbed.url, out, check=True)
    folder = only_run(out)
    with (folder / "evidence.warc.gz").open("rb") as stream:
        bodies = {
            r.rec_headers.get_header("WARC-Censorprobe-Key"): hashlib.sha256(
                r.content_stream().read()
            ).hexdigest()
            for r in ArchiveIterator(stream)
            if r.rec_type == "response"
        }
    for o in observations(folder):
        assert bodies[o["key"]] == o["evidence"]["sha256"]


def _evidence(*args: str | Path) -> tuple[int, str]:
    """``censorprobe evidence ARGS`` in this process: exit code and everything printed."""
    ran = CliRunner().invoke(app, ["evidence", *map(str, args)])
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    return ran.exit_code, ran.output


def _recorded(results: Path, exchange: Exchange) -> dict[str, Any]:
    """A snapshot whose one probe has ``exchange`` as its evidence, written by the real writer."""
    observation = probe("bread", "visible", count=1)
    folder = write_snapshot(results, "run", "2026-10-01T08:00:00.000Z", [])
    writer = EvidenceWriter(folder / "evidence.warc.gz")
    observation["evidence"] = writer.write(exchange, observation["key"]).to_json()
    writer.close()
    line = {"run_id": "run", "started_at": "2026-10-01T08:00:01.000Z", **observation}
    with (folder / "observations.jsonl").open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(line) + "\n")
    return observation


def _exchange(header: str = "plain", body: str = "<title>面包</title>") -> Exchange:
    return Exchange(
        method="GET",
        url="https://weibo.example/search?q=x",
        request_headers=[("Accept", "*/*")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        response_headers=[("X-Title", header)],
        body=body.encode(),
    )


def test_evidence_says_no_such_run(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    code, output = _evidence(
        "nope", "t/x/original/testbed/local", "--results", tmp_path / "results"
    )
    assert code == 1 and "no such run 'nope'" in output


def test_evidence_finds_controls_and_confirmation_probes(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    terms = [*TERMS, ("june4", "六四")]
    run_on_testbed(write_list(tmp_path / "l.yaml", terms), testbed.url, out, check=True)
    folder = only_run(out)
    every = observations(folder, controls=True)
    controls = [o for o in every if o["role"] == "control"]
    key = controls[0]["key"]
    checks = sorted(o["check"] for o in controls if o["key"] == key)
    assert len(checks) >= 2, "controls open and close the window"
    code, last = _evidence(folder.name, key, "--results", out)
    assert code == 0, last
    assert f"control, check {checks[-1]} (checks " in last and "200 OK" in last
    code, first = _evidence("show", folder.name, key, "--check", checks[0], "--results", out)
    assert code == 0 and f"control, check {checks[0]}" in first
    wanted = next(o for o in every if o["key"] == key and o["check"] == checks[0])
    assert wanted["evidence"]["sha256"] in first
    code, none = _evidence(folder.name, key, "--check", "99", "--results", out)
    assert code == 1 and "no check 99" in none
    june4 = next(o for o in every if o["term"]["id"] == "june4")
    assert june4["confirmation"]["probes"], june4
    step = june4["confirmation"]["probes"][0]
    code, shown = _evidence("latest", f"{june4['key']}#{step['role']}", "--results", out)
    assert code == 0, shown
    assert f"confirmation probe {step['role']}" in shown
    assert step["evidence"]["sha256"] in shown


def test_evidence_escapes_terminal_control_characters(tmp_path: Path) -> None:
    """A page whose body and headers carry terminal escapes is printed inert."""
    hostile = "\x1b]0;pwned\x07\x1b[2J"
    recorded = _recorded(tmp_path / "results", _exchange(hostile, f"<title>{hostile}</title>"))
    code, shown = _evidence("run", recorded["key"], "--body", "--results", tmp_path / "results")
    assert code == 0, shown
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown.count("\\x1b]0;pwned\\x07\\x1b[2J") == 2  # header and body, escaped


def test_evidence_names_a_damaged_warc(tmp_path: Path) -> None:
    recorded = _recorded(tmp_path / "results", _exchange())
    warc = tmp_path / "results" / "run" / "evidence.warc.gz"
    offset = recorded["evidence"]["offset"]  # after the file's warcinfo record
    data = bytearray(warc.read_bytes())
    data[offset : offset + 40] = b"\0" * 40
    warc.write_bytes(bytes(data))
    code, shown = _evidence("run", recorded["key"], "--results", tmp_path / "results")
    assert code == 1 and f"no readable record at offset {offset}" in shown
