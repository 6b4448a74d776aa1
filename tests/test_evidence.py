"""Evidence: WARC records per exchange, secrets redacted, readable through the CLI."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from snapshot_maker import probe, write_snapshot
from support import cli, observations, only_run, run_on_testbed, write_list
from warcio.archiveiterator import ArchiveIterator

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
    assert len(kinds) == 2 * len(observations(folder, controls=True))
    assert all(
        r.rec_headers.get_header("WARC-Date") and r.rec_headers.get_header("WARC-Target-URI")
        for r in records
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


def test_evidence_says_no_such_run(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    shown = cli("evidence", "nope", "t/x/original/testbed/local", "--results", tmp_path / "results")
    assert shown.returncode == 1 and "no such run 'nope'" in shown.stderr
    assert "Traceback" not in shown.stderr


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
    last = cli("evidence", folder.name, key, "--results", out)
    assert last.returncode == 0, last.stderr
    assert f"control, check {checks[-1]} (checks " in last.stdout and "200 OK" in last.stdout
    first = cli("evidence", "show", folder.name, key, "--check", str(checks[0]), "--results", out)
    assert first.returncode == 0 and f"control, check {checks[0]}" in first.stdout
    wanted = next(o for o in every if o["key"] == key and o["check"] == checks[0])
    assert wanted["evidence"]["sha256"] in first.stdout
    none = cli("evidence", folder.name, key, "--check", "99", "--results", out)
    assert none.returncode == 1 and "no check 99" in none.stderr
    june4 = next(o for o in every if o["term"]["id"] == "june4")
    assert june4["confirmation"]["probes"], june4
    step = june4["confirmation"]["probes"][0]
    shown = cli("evidence", "latest", f"{june4['key']}#{step['role']}", "--results", out)
    assert shown.returncode == 0, shown.stderr
    assert f"confirmation probe {step['role']}" in shown.stdout
    assert step["evidence"]["sha256"] in shown.stdout


def test_evidence_escapes_terminal_control_characters(tmp_path: Path) -> None:
    """A page whose body and headers carry terminal escapes is printed inert."""
    hostile = "\x1b]0;pwned\x07\x1b[2J"
    observation = probe("bread", "visible", count=1)
    folder = write_snapshot(tmp_path / "results", "run", "2026-10-01T08:00:00.000Z", [])
    writer = EvidenceWriter(folder / "evidence.warc.gz")
    exchange = Exchange(
        method="GET",
        url="https://weibo.example/search?q=x",
        request_headers=[("Accept", "*/*")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        response_headers=[("X-Title", hostile)],
        body=f"<title>{hostile}</title>".encode(),
    )
    observation["evidence"] = writer.write(exchange, observation["key"]).to_json()
    writer.close()
    with (folder / "observations.jsonl").open("a", encoding="utf-8") as stream:
        stream.write(
            json.dumps({"run_id": "run", "started_at": "2026-10-01T08:00:01.000Z", **observation})
            + "\n"
        )
    shown = cli("evidence", "run", observation["key"], "--body", "--results", tmp_path / "results")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert shown.stdout.count("\\x1b]0;pwned\\x07\\x1b[2J") == 2  # header and body, escaped


def test_evidence_names_a_damaged_warc(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    out = tmp_path / "results"
    run_on_testbed(write_list(tmp_path / "l.yaml", TERMS), testbed.url, out, check=True)
    folder = only_run(out)
    xi = next(o for o in observations(folder) if o["term"]["id"] == "xi")
    warc = folder / "evidence.warc.gz"
    data = bytearray(warc.read_bytes())
    offset = xi["evidence"]["offset"]
    data[offset : offset + 40] = b"\0" * 40
    warc.write_bytes(bytes(data))
    shown = cli("evidence", folder.name, xi["key"], "--results", out)
    assert shown.returncode == 1 and f"no readable record at offset {offset}" in shown.stderr
    assert "Traceback" not in shown.stderr
