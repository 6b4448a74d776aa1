"""The runner over real HTTP against the testbed: verdicts, faults, pacing, retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import manifest, observations, run_on_testbed, run_probes, write_list

from testbed import Action, Fault, Rule, RuleBook

TERMS = [
    ("visible", "天安门"),
    ("full", "习近平"),
    ("partial", "六四"),
    ("zero", "香港独立"),
    ("soft", "新疆"),
]
RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("香港独立",), action=Action.ZERO_RESULTS),
        Rule(parts=("新疆",), action=Action.SOFT),
    )
)


def by_term(folder: Path) -> dict[str, dict]:
    return {o["term"]["id"]: o for o in observations(folder)}


def test_every_action_gets_its_verdict(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder = run_probes([write_list(tmp_path / "l.yaml", TERMS)], testbed.url, tmp_path / "r")
    seen = {term: (o["verdict"], o["signal"]) for term, o in by_term(folder).items()}
    assert seen == {
        "visible": ("visible", None),
        "full": ("censored", "notice"),
        "partial": ("censored", "partial_notice"),
        "zero": ("censored", "zero_results"),
        "soft": ("censored", "soft"),
    }
    full = by_term(folder)["full"]
    assert full["notice"] == "根据相关法律法规和政策，“习近平”搜索结果未予显示。"
    assert full["fingerprint"] == "testbed.notice.full"
    assert by_term(folder)["visible"]["result_count"] > 0
    assert manifest(folder)["status"] == "complete"
    assert manifest(folder)["counts"]["testbed"]["censored"] == {
        "notice": 1,
        "partial_notice": 1,
        "soft": 1,
        "zero_results": 1,
    }


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.SERVER_ERROR, "http_status"),
        (Fault.RATE_LIMIT, "rate_limited"),
        (Fault.SLOW, "timeout"),
        (Fault.RESET, "network"),
        (Fault.TRUNCATE, "network"),
        (Fault.CAPTCHA, "captcha"),
        (Fault.LOGIN, "login_wall"),
    ],
)
def test_every_fault_is_an_error_of_its_kind(
    start_testbed, tmp_path: Path, fault: Fault, kind: str
) -> None:
    testbed = start_testbed(
        rules=RULES, fault_rate=1.0, faults=(fault,), slow_seconds=1.0, retry_after=0
    )
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", TERMS)],
        testbed.url,
        tmp_path / "r",
        max_attempts=2,
        timeout=0.3,
    )
    found = observations(folder)
    checked = [o for o in observations(folder, controls=True) if o["role"] == "control"]
    if kind in {"http_status", "timeout", "network"}:
        # No answer at all to the first control check: the platform is not probed.
        assert found == [] and len(checked) == 3
        assert manifest(folder)["status"] == "interrupted"
    else:
        assert len(found) == len(TERMS)
    for observation in found or checked:
        assert observation["verdict"] == "error"
        assert observation["error"]["kind"] == kind, observation["error"]
        assert observation["attempts"] == 2
        assert observation["signal"] is None


def test_connection_refused_is_a_network_error(tmp_path: Path) -> None:
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", TERMS[:1])],
        "http://127.0.0.1:9",
        tmp_path / "r",
        max_attempts=1,
    )
    assert observations(folder) == []  # a dead endpoint is not probed
    controls = observations(folder, controls=True)
    assert len(controls) == 3
    for observation in controls:
        assert observation["verdict"] == "error"
        assert observation["error"]["kind"] == "network"
        assert observation["request"]["status"] is None


def test_retries_on_500_until_an_answer(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES, fault_rate=0.5, faults=(Fault.SERVER_ERROR,), seed=7)
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", TERMS)], testbed.url, tmp_path / "r", max_attempts=12
    )
    found = observations(folder, controls=True)
    assert all(o["verdict"] != "error" for o in found)
    assert any(o["attempts"] > 1 for o in found)
    answers = [entry["answer"] for entry in testbed.log]
    confirming = [p for o in found for p in (o.get("confirmation") or {}).get("probes", [])]
    retries = sum(o["attempts"] - 1 for o in [*found, *confirming])
    assert answers.count("fault:500") == retries


def test_429_retry_after_pauses_the_platform(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(
        rules=RULES, fault_rate=0.3, faults=(Fault.RATE_LIMIT,), seed=3, retry_after=1
    )
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", TERMS)],
        testbed.url,
        tmp_path / "r",
        max_attempts=8,
        concurrency=2,
    )
    assert all(o["verdict"] != "error" for o in observations(folder, controls=True))
    log = testbed.log
    limited = [entry["t"] for entry in log if entry["answer"] == "fault:429"]
    assert limited, "the seed should give at least one 429"
    for t in limited:
        # Requests already in flight when the 429 came land within milliseconds; nothing
        # sent after it may arrive before Retry-After has passed.
        too_soon = [e for e in log if t + 0.05 < e["t"] < t + 0.95]
        assert too_soon == [], too_soon


def test_pacing_holds_in_the_testbed_log(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    terms = [(f"t{i}", f"词{i}") for i in range(14)]
    rate, burst = 8.0, 2
    run_probes(
        [write_list(tmp_path / "l.yaml", terms)],
        testbed.url,
        tmp_path / "r",
        rate=rate,
        burst=burst,
        concurrency=6,
    )
    times = sorted(entry["t"] for entry in testbed.log)
    assert len(times) >= 14 + 6  # probes and two rounds of three controls
    for i in range(len(times)):
        for j in range(i + 1, len(times)):
            # Token bucket: j - i + 1 requests in (t_j - t_i) seconds need burst + rate * span tokens.
            assert j - i + 1 <= burst + rate * (times[j] - times[i]) + 0.5, (
                i,
                j,
                times[j] - times[i],
            )
    span = times[-1] - times[0]
    assert span >= (len(times) - burst) / rate * 0.9


def test_honest_user_agent_is_sent(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    run_probes([write_list(tmp_path / "l.yaml", TERMS[:1])], testbed.url, tmp_path / "r")
    assert all(entry["user_agent"].startswith("censorprobe/") for entry in testbed.log)


def test_summary_separates_errors_and_warns_past_five_percent(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RULES, fault_rate=0.5, faults=(Fault.CAPTCHA,), seed=4)
    result = run_on_testbed(
        write_list(tmp_path / "l.yaml", TERMS), testbed.url, tmp_path / "r", "--max-attempts", "1"
    )
    assert result.returncode == 3, result.stderr  # errors past 5 %: nothing useful measured
    assert "measured nothing useful" in result.stderr
    assert "by signal" in result.stdout and "by kind" in result.stdout
    assert "warning: testbed:" in result.stdout
    assert "their terms tell nothing about censorship" in result.stdout
