"""Unattended runs: exit codes to trust, --retry-errors, --resume with a new --base-url,
conduct (--rate 0, polite pacing), secrets in base URLs and vantage labels. Real CLI
processes against the testbed on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support import cli, manifest, observations, only_run, run_on_testbed, write_list
from typer.testing import CliRunner

from probes.registry import get_adapter
from runners.plan.conduct import check_conduct, is_loopback
from runners.plan.config import RunConfig
from snapshots.evidence import read_exchange
from testbed import Fault

TERMS = [(f"t{i:02d}", f"词语{i}") for i in range(20)]
CONTROLS = {"天气", "牛肉面", "足球"}


def _terms_asked(log: list[dict]) -> list[str]:
    return [entry["query"] for entry in log if entry["query"] not in CONTROLS]


# -- exit codes ---------------------------------------------------------------------------


def test_a_dead_endpoint_aborts_after_the_first_check_and_exits_3(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed(fault_rate=1.0, faults=(Fault.RESET,))
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    begun = time.monotonic()
    result = run_on_testbed(
        keyword_list, testbed.url, tmp_path / "r", "--max-attempts", "2", "--backoff", "0.01"
    )
    assert result.returncode == 3, result.stderr
    assert "no answer from" in result.stderr and "nothing was probed" in result.stderr
    assert _terms_asked(testbed.log) == []  # not one probe sent to a dead endpoint
    assert len(testbed.log) == 3 * 2  # the opening check: three controls, two attempts
    folder = only_run(tmp_path / "r")
    assert manifest(folder)["status"] == "interrupted"
    assert time.monotonic() - begun < 30


def test_every_probe_an_error_exits_3_whatever_the_share(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(fault_rate=1.0, faults=(Fault.CAPTCHA,))
    result = run_on_testbed(
        write_list(tmp_path / "l.yaml", TERMS[:5]),
        testbed.url,
        tmp_path / "r",
        "--max-attempts",
        "1",
        "--max-error-share",
        "1",
    )
    assert result.returncode == 3, result.stderr
    assert "every probe (5) is an error" in result.stderr
    assert manifest(only_run(tmp_path / "r"))["status"] == "complete"


def test_error_share_threshold(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(fault_rate=0.25, faults=(Fault.CAPTCHA,), seed=11)
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    strict = run_on_testbed(
        keyword_list, testbed.url, tmp_path / "a", "--max-attempts", "1", "--control-every", "100"
    )
    errors = sum(manifest(only_run(tmp_path / "a"))["counts"]["testbed"]["error"].values())
    assert 1 < errors < len(TERMS), "the seed should make some probes errors"
    assert strict.returncode == 3, strict.stderr
    assert f"{errors} of {len(TERMS)} probes are errors" in strict.stderr
    lenient = run_on_testbed(
        keyword_list,
        testbed.url,
        tmp_path / "b",
        "--max-attempts",
        "1",
        "--control-every",
        "100",
        "--max-error-share",
        "0.9",
    )
    assert lenient.returncode == 0, lenient.stderr


def test_clean_run_exits_0(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    result = run_on_testbed(write_list(tmp_path / "l.yaml", TERMS[:3]), testbed.url, tmp_path)
    assert result.returncode == 0, result.stderr


PROFILE = """name: down
lists: [list.yaml]
platforms: [testbed]
base_urls: {testbed: "URL"}
pacing: {rate: 0}
cadence: 1h
output: out
"""


def test_run_profile_onto_a_dead_endpoint_exits_3_and_again_on_resume(
    start_testbed, tmp_path: Path
) -> None:
    from runners.cli.schedule import run_profile_command

    testbed = start_testbed(fault_rate=1.0, faults=(Fault.SERVER_ERROR,))
    write_list(tmp_path / "list.yaml", TERMS[:4])
    path = tmp_path / "down.yaml"
    path.write_text(PROFILE.replace("URL", testbed.url), encoding="utf-8")
    import typer

    app = typer.Typer()
    app.command()(run_profile_command)
    first = CliRunner().invoke(app, [str(path)])
    assert first.exit_code == 3, first.output
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert manifest(folder)["status"] == "interrupted"
    again = CliRunner().invoke(app, [str(path)])  # resumes the interrupted run: still down
    assert again.exit_code == 3, again.output
    assert [p for p in (tmp_path / "out").iterdir() if p.is_dir()] == [folder]
    assert len(manifest(folder)["resumed_at"]) == 1
    assert _terms_asked(testbed.log) == []


# -- --retry-errors and --resume --base-url -----------------------------------------------


def test_retry_errors_reasks_errors_of_a_complete_run_on_a_new_base_url(
    start_testbed, tmp_path: Path
) -> None:
    flaky = start_testbed(fault_rate=0.4, faults=(Fault.CAPTCHA, Fault.LOGIN), seed=5)
    keyword_list = write_list(tmp_path / "l.yaml", TERMS)
    out = tmp_path / "r"
    run_on_testbed(
        keyword_list,
        flaky.url,
        out,
        "--max-attempts",
        "1",
        "--run-id",
        "r1",
        "--control-every",
        "100",
    )
    folder = out / "r1"
    before = {o["key"]: o for o in observations(folder)}
    assert manifest(folder)["status"] == "complete"
    kinds = {o["error"]["kind"] for o in before.values() if o["verdict"] == "error"}
    assert kinds == {"captcha", "login_wall"}, "the seed should give both kinds"

    clean = start_testbed()
    # Only the login walls, on the new endpoint.
    only = cli(
        "run", "--resume", "r1", "--out", out, "--retry-errors", "--retry-kind", "login_wall",
        "--base-url", clean.url, "--max-error-share", "1",
    )  # fmt: skip
    assert only.returncode in (0, 3), only.stderr
    walls = {
        k
        for k, o in before.items()
        if o["verdict"] == "error" and o["error"]["kind"] == "login_wall"
    }
    assert set(_terms_asked(clean.log)) == {before[k]["query"] for k in walls}
    middle = {o["key"]: o for o in observations(folder)}
    assert all(middle[k]["verdict"] == "visible" for k in walls)
    assert all(middle[k] == o for k, o in before.items() if k not in walls)

    # Then every error left.
    every = cli("run", "--resume", "r1", "--out", out, "--retry-errors", "--base-url", clean.url)
    assert every.returncode == 0, every.stderr
    after = observations(folder)
    keys = [o["key"] for o in after]
    assert len(keys) == len(set(keys)) == len(TERMS)
    assert all(o["verdict"] == "visible" for o in after)
    data = manifest(folder)
    assert data["status"] == "complete"
    assert [entry["probes"] for entry in data["retried"]] == [
        len(walls),
        sum(1 for o in before.values() if o["verdict"] == "error") - len(walls),
    ]
    assert data["config"]["base_urls"] == {"testbed": clean.url}
    assert data["endpoints"] == {"testbed": clean.url}
    assert data["changes"][0]["endpoints"] == {"testbed": clean.url}
    assert data["counts"]["testbed"]["error"] == {}

    # The old answers are kept: superseded.jsonl as they were, their evidence in the WARC.
    superseded = [
        json.loads(line) for line in (folder / "superseded.jsonl").read_text().splitlines()
    ]
    assert {o["key"] for o in superseded} == {
        k for k, o in before.items() if o["verdict"] == "error"
    }
    assert all(o == before[o["key"]] for o in superseded)
    for old in superseded:
        stored = read_exchange(folder / "evidence.warc.gz", old["evidence"]["offset"])
        assert stored.key == old["key"]
    for new in after:
        assert (
            read_exchange(folder / "evidence.warc.gz", new["evidence"]["offset"]).key == new["key"]
        )


def test_retry_errors_needs_resume_and_known_kinds(tmp_path: Path) -> None:
    assert "go with --resume" in cli("run", "--retry-errors", "--out", tmp_path).stderr
    result = cli(
        "run", "--resume", "x", "--retry-errors", "--retry-kind", "nope", "--out", tmp_path
    )
    assert result.returncode == 1 and "not an error kind" in result.stderr


def test_resume_refuses_what_cannot_change(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "l.yaml", TERMS[:2])
    run_on_testbed(keyword_list, testbed.url, tmp_path, "--run-id", "one", check=True)
    data = manifest(tmp_path / "one")
    data["status"] = "interrupted"
    (tmp_path / "one" / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    refused = cli("run", "--resume", "one", "--out", tmp_path, "--vantage", "elsewhere")
    assert refused.returncode == 1 and "keeps its vantage" in refused.stderr
    refused = cli("run", keyword_list, "--resume", "one", "--out", tmp_path)
    assert refused.returncode == 1 and "keeps its keyword lists" in refused.stderr


# -- secrets and labels -------------------------------------------------------------------


def test_tokens_in_base_urls_never_reach_the_manifest(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    secret_url = f"{testbed.url}?token=SEKRIT1&api_key=SEKRIT2&client_secret=SEKRIT3"
    keyword_list = write_list(tmp_path / "l.yaml", TERMS[:2])
    run_on_testbed(keyword_list, secret_url, tmp_path, "--run-id", "s", "--max-attempts", "1")
    text = (tmp_path / "s" / "manifest.json").read_text(encoding="utf-8")
    assert "SEKRIT" not in text
    data = manifest(tmp_path / "s")
    for url in (data["endpoints"]["testbed"], data["config"]["base_urls"]["testbed"]):
        assert "token=REDACTED" in url and "api_key=REDACTED" in url
        assert "client_secret=REDACTED" in url
    data["status"] = "interrupted"
    (tmp_path / "s" / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    refused = cli("run", "--resume", "s", "--out", tmp_path)
    assert refused.returncode == 1, refused.stderr
    assert "give them again" in refused.stderr and "--base-url testbed=" in refused.stderr
    assert "SEKRIT" not in refused.stderr + refused.stdout
    again = cli("run", "--resume", "s", "--out", tmp_path, "--base-url", secret_url)
    assert "SEKRIT" not in (tmp_path / "s" / "manifest.json").read_text(encoding="utf-8")
    assert again.returncode in (0, 3), again.stderr  # resumed (that URL finds no search page)


def test_cr_lf_in_vantage_is_refused(tmp_path: Path) -> None:
    keyword_list = write_list(tmp_path / "l.yaml", TERMS[:1])
    for label in ("home\r\nWARC-Injected: 1", "a/b", "tab\there"):
        result = run_on_testbed(
            keyword_list, "http://127.0.0.1:9", tmp_path / "r", "--vantage", label
        )
        assert result.returncode == 1 and "vantage" in result.stderr, result.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


# -- conduct ------------------------------------------------------------------------------


def test_rate_zero_is_refused_off_loopback_before_any_request(tmp_path: Path) -> None:
    keyword_list = write_list(tmp_path / "l.yaml", TERMS[:1])
    result = cli("run", keyword_list, "-p", "bing", "--rate", "0", "--out", tmp_path / "r")
    assert result.returncode == 1
    assert "only for loopback" in result.stderr and "www.bing.com" in result.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    faster = cli("run", keyword_list, "-p", "bing", "--rate", "5", "--out", tmp_path / "r")
    assert faster.returncode == 1 and "--faster-than-polite" in faster.stderr


def test_faster_than_polite_is_explicit_and_recorded(start_testbed, tmp_path: Path) -> None:
    bing = get_adapter("bing")
    config = RunConfig(lists=[], platforms=["bing"], rate=5)
    with pytest.raises(ValueError, match="above its polite pacing"):
        check_conduct(config, {"bing": bing()})
    check_conduct(config.model_copy(update={"faster_than_polite": True}), {"bing": bing()})
    check_conduct(config.model_copy(update={"rate": 0.2}), {"bing": bing()})
    assert is_loopback("http://127.0.0.1:8000/x") and is_loopback("http://[::1]:80")
    assert is_loopback("http://localhost:1") and not is_loopback("https://s.weibo.com")
    testbed = start_testbed()
    keyword_list = write_list(tmp_path / "l.yaml", TERMS[:1])
    run_on_testbed(
        keyword_list, testbed.url, tmp_path, "--run-id", "f", "--faster-than-polite", check=True
    )
    assert manifest(tmp_path / "f")["config"]["faster_than_polite"] is True
