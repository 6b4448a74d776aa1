"""Controls: a platform that fails its controls yields errors, never censorship."""

from __future__ import annotations

from pathlib import Path

from support import observations, run_probes, write_list

from probes.outcome import ErrorKind, Outcome, Signal, Verdict
from runners.execution.controls import CheckResult, judge
from testbed import Action, Rule, RuleBook

TERMS = [(f"t{i:02d}", f"词{i}") for i in range(20)] + [("censored", "习近平")]

GOOD = CheckResult(1, (Outcome.visible(100), Outcome.failed(ErrorKind.TIMEOUT)))
EMPTY = CheckResult(2, (Outcome.censored(Signal.ZERO_RESULTS, result_count=0), Outcome.visible(0)))
ALL_ERRORS = CheckResult(3, (Outcome.failed(ErrorKind.CAPTCHA), Outcome.failed(ErrorKind.TIMEOUT)))


def test_check_needs_a_visible_control_with_results() -> None:
    assert GOOD.ok
    assert not EMPTY.ok
    assert not ALL_ERRORS.ok
    assert not CheckResult(4, ()).ok


def test_judge_demotes_only_when_a_bounding_check_failed() -> None:
    zero = Outcome.censored(Signal.ZERO_RESULTS, result_count=0)
    assert judge(zero, GOOD, GOOD) is zero
    demoted = judge(zero, GOOD, EMPTY)
    assert demoted.verdict is Verdict.ERROR and demoted.error is ErrorKind.CONTROLS_FAILED
    assert "controls check 2 failed" in (demoted.detail or "") and "zero_results" in (
        demoted.detail or ""
    )
    assert judge(Outcome.visible(5), ALL_ERRORS, GOOD).error is ErrorKind.CONTROLS_FAILED
    timeout = Outcome.failed(ErrorKind.TIMEOUT)
    assert judge(timeout, EMPTY, EMPTY) is timeout  # an error keeps its own kind


def test_platform_that_censors_its_controls_gives_controls_failed(
    start_testbed, tmp_path: Path
) -> None:
    rules = RuleBook(
        (
            Rule(parts=("习近平",), action=Action.NOTICE),
            Rule(parts=("天气",), action=Action.NOTICE),
            Rule(parts=("足球",), action=Action.NOTICE),
            Rule(parts=("牛肉面",), action=Action.NOTICE),
        )
    )
    testbed = start_testbed(rules=rules)
    folder = run_probes([write_list(tmp_path / "l.yaml", TERMS)], testbed.url, tmp_path / "r")
    found = observations(folder)
    assert len(found) == len(TERMS)
    assert all(o["verdict"] == "error" and o["error"]["kind"] == "controls_failed" for o in found)
    censored = next(o for o in found if o["term"]["id"] == "censored")
    assert "the probe itself read notice" in censored["error"]["detail"]


def test_platform_returning_nothing_for_anything_is_not_censoring(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed(rules=RuleBook((Rule(parts=("",), action=Action.ZERO_RESULTS),)))
    folder = run_probes([write_list(tmp_path / "l.yaml", TERMS)], testbed.url, tmp_path / "r")
    found = observations(folder)
    assert {o["verdict"] for o in found} == {"error"}
    assert {o["error"]["kind"] for o in found} == {"controls_failed"}


def test_controls_open_close_and_recur_every_n(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),)))
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", TERMS)],
        testbed.url,
        tmp_path / "r",
        control_every=5,
        concurrency=1,
    )
    everything = observations(folder, controls=True)
    checks = sorted({o["check"] for o in everything if o["role"] == "control"})
    assert checks == list(range(1, len(checks) + 1))
    assert len(checks) >= 1 + len(TERMS) // 5  # opening, one per five probes, closing
    for o in observations(folder):
        assert o["controls"]["opening"] < o["controls"]["closing"]
    first_probe = next(
        i for i, e in enumerate(testbed.log) if e["query"] not in {"天气", "牛肉面", "足球"}
    )
    assert {e["query"] for e in testbed.log[:first_probe]} == {"天气", "牛肉面", "足球"}
    assert {e["query"] for e in testbed.log[-3:]} == {"天气", "牛肉面", "足球"}
    censored = next(o for o in observations(folder) if o["term"]["id"] == "censored")
    assert censored["verdict"] == "censored"


def test_a_run_without_controls_is_refused(start_testbed, tmp_path: Path) -> None:
    from runners.plan.config import RunConfig
    from runners.plan.planner import NoControlsError, make_plan

    path = tmp_path / "l.yaml"
    path.write_text(
        "list: n\ndescription: d\nlanguage: zh\nterms:\n  - {id: a, text: x, category: c}\n",
        encoding="utf-8",
    )
    try:
        make_plan(RunConfig(lists=[path], platforms=["testbed"]))
    except NoControlsError as exc:
        assert "controls" in str(exc)
    else:
        raise AssertionError("a list without controls must not run")
