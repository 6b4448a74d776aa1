"""The Baidu and Bing testbed personalities, read by the real adapters over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support import cli, observations, only_run, write_list

from probes import Adapter, ErrorKind, Outcome, Query, Signal, Verdict
from probes.platforms.baidu import BaiduAdapter
from probes.platforms.bing import BingCnAdapter
from testbed import Action, Fault, Rule, RuleBook, serve_in_thread
from testbed import TestbedConfig as Config  # not collected as a test class
from testbed.pages import page_for

RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("白纸",), action=Action.ZERO_RESULTS),
        Rule(parts=("新疆",), action=Action.SOFT),
    )
)
PAIRS = [("baidu", BaiduAdapter), ("bing", BingCnAdapter)]
#: Bing has no full-removal notice: a `notice` rule shows its partial notice over no results.
FULL_NOTICE = {"baidu": Signal.NOTICE, "bing": Signal.PARTIAL_NOTICE}


def _probe(adapter: Adapter, text: str) -> tuple[httpx.Response, Outcome]:
    query = Query(text)
    with httpx.Client(timeout=5) as client:
        response = client.send(adapter.request(query))
    return response, adapter.classify(query, response)


@pytest.mark.parametrize(("personality", "adapter_cls"), PAIRS)
def test_rules_read_back_as_their_verdicts(personality: str, adapter_cls: type[Adapter]) -> None:
    expected = {
        "天气": (Verdict.VISIBLE, None),
        "习近平": (Verdict.CENSORED, FULL_NOTICE[personality]),
        "六四 天安门": (Verdict.CENSORED, Signal.PARTIAL_NOTICE),
        "白纸运动": (Verdict.CENSORED, Signal.ZERO_RESULTS),
        "新疆": (Verdict.CENSORED, Signal.SOFT),
    }
    with serve_in_thread(Config(rules=RULES, personality=personality)) as testbed:
        adapter = adapter_cls(base_url=testbed.url)
        for text, (verdict, signal) in expected.items():
            response, outcome = _probe(adapter, text)
            assert response.status_code == 200
            assert (outcome.verdict, outcome.signal, outcome.error) == (verdict, signal, None), text
        acted = [entry["rule"] for entry in testbed.log]
    assert acted == [None, "notice", "partial_notice", "zero_results", "soft"]


@pytest.mark.parametrize(("personality", "adapter_cls"), PAIRS)
def test_counts_items_and_notice_text_come_through(
    personality: str, adapter_cls: type[Adapter]
) -> None:
    with serve_in_thread(Config(rules=RULES, personality=personality)) as testbed:
        adapter = adapter_cls(base_url=testbed.url)
        _, visible = _probe(adapter, "天气")
        _, partial = _probe(adapter, "六四")
        _, soft = _probe(adapter, "新疆")
    page = page_for("天气", None, RULES.allowlist)
    assert visible.result_count == page.result_count
    assert [item.title for item in visible.items] == [item.title for item in page.items]
    assert [item.source for item in visible.items] == [item.source for item in page.items]
    assert partial.result_count == page_for("六四", RULES.rules[1], RULES.allowlist).result_count
    assert partial.notice is not None and "部分搜索结果未予显示" in partial.notice
    assert soft.items and {item.source for item in soft.items} <= set(RULES.allowlist)


@pytest.mark.parametrize(("personality", "adapter_cls"), PAIRS)
@pytest.mark.parametrize(
    ("fault", "kind"), [(Fault.CAPTCHA, ErrorKind.CAPTCHA), (Fault.LOGIN, ErrorKind.LOGIN_WALL)]
)
def test_walls_are_errors_never_censorship(
    personality: str, adapter_cls: type[Adapter], fault: Fault, kind: ErrorKind
) -> None:
    config = Config(rules=RULES, personality=personality, fault_rate=1.0, faults=(fault,))
    with serve_in_thread(config) as testbed:
        adapter = adapter_cls(base_url=testbed.url)
        for text in ("天气", "习近平"):
            _, outcome = _probe(adapter, text)
            assert (outcome.verdict, outcome.error) == (Verdict.ERROR, kind), text


@pytest.mark.parametrize(("personality", "path"), [("baidu", "/search?q=x"), ("bing", "/s?wd=x")])
def test_a_personality_answers_only_at_its_platforms_path(personality: str, path: str) -> None:
    with (
        serve_in_thread(Config(personality=personality)) as testbed,
        httpx.Client(timeout=5) as client,
    ):
        assert client.get(testbed.url + path).status_code == 404


@pytest.mark.parametrize(("personality", "platform"), [("baidu", "baidu"), ("bing", "bing_cn")])
def test_censorprobe_run_end_to_end(personality: str, platform: str, tmp_path: Path) -> None:
    terms = [("open", "天气预报"), ("full", "习近平"), ("partial", "六四"), ("zero", "白纸")]
    keywords = write_list(tmp_path / "list.yaml", terms)
    out = tmp_path / "results"
    with serve_in_thread(Config(rules=RULES, personality=personality)) as testbed:
        result = cli(
            "run", keywords, "--platform", platform, "--base-url", testbed.url,
            "--rate", "0", "--backoff", "0.01", "--reask-delay", "0", "--out", out,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    found = {o["term"]["id"]: (o["verdict"], o["signal"]) for o in observations(only_run(out))}
    assert found == {
        "open": ("visible", None),
        "full": ("censored", FULL_NOTICE[personality].value),
        "partial": ("censored", "partial_notice"),
        "zero": ("censored", "zero_results"),
    }
