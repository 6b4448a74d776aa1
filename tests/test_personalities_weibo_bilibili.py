"""The Weibo and Bilibili testbed personalities, read by the real adapters over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support import cli, observations, only_run, write_list

from probes import Adapter, ErrorKind, Outcome, Query, Signal, Verdict
from probes.platforms.bilibili import BilibiliAdapter
from probes.platforms.weibo import WeiboAdapter
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
PAIRS = [("weibo", WeiboAdapter), ("bilibili", BilibiliAdapter)]
CENSORED = Verdict.CENSORED
#: What each platform makes of each rule. Weibo says when it withholds a term, so an empty
#: answer there is visible; it also hides terms silently behind official accounts (soft).
#: Bilibili shows no notice at all: a withheld term comes back empty, and no soft censorship is
#: known there, so official-only results are visible.
EXPECTED = {
    "weibo": {
        "天气": (Verdict.VISIBLE, None),
        "习近平": (CENSORED, Signal.NOTICE),
        "六四 天安门": (CENSORED, Signal.PARTIAL_NOTICE),
        "白纸运动": (Verdict.VISIBLE, None),
        "新疆": (CENSORED, Signal.SOFT),
    },
    "bilibili": {
        "天气": (Verdict.VISIBLE, None),
        "习近平": (CENSORED, Signal.ZERO_RESULTS),
        "六四 天安门": (Verdict.VISIBLE, None),
        "白纸运动": (CENSORED, Signal.ZERO_RESULTS),
        "新疆": (Verdict.VISIBLE, None),
    },
}


def _probe(adapter: Adapter, text: str) -> tuple[httpx.Response, Outcome]:
    query = Query(text)
    with httpx.Client(timeout=5) as client:
        response = client.send(adapter.request(query))
    return response, adapter.classify(query, response)


@pytest.mark.parametrize(("personality", "adapter_cls"), PAIRS)
def test_rules_read_back_as_their_verdicts(personality: str, adapter_cls: type[Adapter]) -> None:
    with serve_in_thread(Config(rules=RULES, personality=personality)) as testbed:
        adapter = adapter_cls(base_url=testbed.url, env={})
        for text, (verdict, signal) in EXPECTED[personality].items():
            response, outcome = _probe(adapter, text)
            assert response.status_code == 200
            assert (outcome.verdict, outcome.signal, outcome.error) == (verdict, signal, None), text
        acted = [entry["rule"] for entry in testbed.log]
    assert acted == [None, "notice", "partial_notice", "zero_results", "soft"]


def test_weibo_counts_items_and_notices_come_through() -> None:
    with serve_in_thread(Config(rules=RULES, personality="weibo")) as testbed:
        adapter = WeiboAdapter(base_url=testbed.url, env={})
        _, visible = _probe(adapter, "天气")
        _, full = _probe(adapter, "习近平")
        _, partial = _probe(adapter, "六四")
        _, soft = _probe(adapter, "新疆")
    page = page_for("天气", None, RULES.allowlist)
    # Weibo shows no total: the count is the posts on the page.
    assert visible.result_count == len(page.items) == len(visible.items)
    assert [item.url for item in visible.items] == [item.url for item in page.items]
    assert [item.title for item in visible.items] == [item.title for item in page.items]
    assert full.notice == "根据相关法律法规和政策，“习近平”搜索结果未予显示。"
    assert partial.notice == "根据相关法律法规和政策，部分搜索结果未予显示。"
    assert partial.items and partial.result_count == len(partial.items)
    assert soft.items and {item.source for item in soft.items} <= set(RULES.allowlist)


def test_bilibili_counts_and_items_come_through() -> None:
    with serve_in_thread(Config(rules=RULES, personality="bilibili")) as testbed:
        adapter = BilibiliAdapter(base_url=testbed.url, env={})
        _, visible = _probe(adapter, "天气")
        _, soft = _probe(adapter, "新疆")
    page = page_for("天气", None, RULES.allowlist)
    assert visible.result_count == min(page.result_count, 1000)
    assert [item.title for item in visible.items] == [item.title for item in page.items]
    assert all(item.url.startswith("https://www.bilibili.com/video/BV") for item in visible.items)
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
        adapter = adapter_cls(base_url=testbed.url, env={})
        for text in ("天气", "习近平"):
            _, outcome = _probe(adapter, text)
            assert (outcome.verdict, outcome.error) == (Verdict.ERROR, kind), text


@pytest.mark.parametrize(
    ("personality", "path"),
    [("weibo", "/search?q=x"), ("weibo", "/weibo?keyword=x"), ("bilibili", "/weibo?q=x")],
)
def test_a_personality_answers_only_at_its_platforms_path(personality: str, path: str) -> None:
    with (
        serve_in_thread(Config(personality=personality)) as testbed,
        httpx.Client(timeout=5) as client,
    ):
        assert client.get(testbed.url + path).status_code == 404


@pytest.mark.parametrize(
    ("personality", "found"),
    [
        ("weibo", {"full": ("censored", "notice"), "zero": ("visible", None)}),
        ("bilibili", {"full": ("censored", "zero_results"), "zero": ("censored", "zero_results")}),
    ],
)
def test_censorprobe_run_end_to_end(
    personality: str, found: dict[str, tuple[str, str | None]], tmp_path: Path
) -> None:
    terms = [("open", "天气预报"), ("full", "习近平"), ("zero", "白纸"), ("soft", "新疆")]
    keywords = write_list(tmp_path / "list.yaml", terms)
    out = tmp_path / "results"
    with serve_in_thread(Config(rules=RULES, personality=personality)) as testbed:
        result = cli(
            "run", keywords, "--platform", personality, "--base-url", testbed.url,
            "--rate", "0", "--backoff", "0.01", "--reask-delay", "0", "--out", out,
        )  # fmt: skip
        paths = {entry["path"] for entry in testbed.log}
    assert result.returncode == 0, result.stdout + result.stderr
    read = {o["term"]["id"]: (o["verdict"], o["signal"]) for o in observations(only_run(out))}
    soft = ("censored", "soft") if personality == "weibo" else ("visible", None)
    assert read == {"open": ("visible", None), **found, "soft": soft}
    assert paths == {"/weibo" if personality == "weibo" else "/x/web-interface/search/all/v2"}
