"""Evidence: WARC records per exchange, secrets redacted, readable through the CLI."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from support import cli, observations, only_run, run_on_testbed, write_list
from warcio.archiveiterator import ArchiveIterator

from snapshots.evidence import Redactor
from testbed import Action, Rule, RuleBook

RULES = RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),))
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
