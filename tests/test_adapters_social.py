"""Adapter specifics the contract kit does not reach: credentials, JSON notices, official accounts."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from probes import Adapter, AdapterConfigError, ErrorKind, Query, Signal, Verdict
from probes.allowlists import in_allowlist, load_allowlist
from probes.jsonapi import official_source
from probes.platforms.douyin import DouyinAdapter
from probes.platforms.weibo import WeiboAdapter, WeiboMobileAdapter
from probes.platforms.x import XAdapter
from testbed.personalities._official import ACCOUNTS

FIXTURES = Path(__file__).resolve().parent / "fixtures"

TOKEN = "CENSORPROBE_X_BEARER_TOKEN"
ACCOUNTS_FILE = (
    Path(__file__).resolve().parent.parent / "probes/allowlists/cn-official-accounts.txt"
)


def _answer(adapter: Adapter, text: str, body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, request=adapter.request(Query(text)))


# -- X: credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("env", [{}, {TOKEN: ""}, {TOKEN: "   "}])
def test_x_without_a_token_refuses_to_start_and_names_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(AdapterConfigError, match=f"needs credentials: set {TOKEN}"):
        XAdapter(env=env).check_ready()


def test_x_with_a_token_sends_it_as_a_bearer_header() -> None:
    adapter = XAdapter(env={TOKEN: "AAAA-secret"})
    adapter.check_ready()
    request = adapter.request(Query("六四"))
    assert request.headers["Authorization"] == "Bearer AAAA-secret"
    assert request.url.path == "/2/tweets/search/recent"
    assert request.url.params["query"] == "六四"
    assert "withheld" in request.url.params["tweet.fields"].split(",")


def test_x_without_a_token_builds_no_authorization_header() -> None:
    assert "Authorization" not in XAdapter(env={}).request(Query("x")).headers


def test_x_withheld_posts_are_a_partial_notice_naming_the_countries() -> None:
    adapter = XAdapter(env={TOKEN: "t"})
    body = (XAdapter.fixture_dir(FIXTURES) / "withheld.synthetic.json").read_bytes()
    outcome = adapter.classify(Query("protest"), _answer(adapter, "protest", body))
    assert outcome.signal is Signal.PARTIAL_NOTICE
    assert outcome.notice == "2 of 3 posts withheld in: DE, IN, TR"
    assert len(outcome.items) == 3 and outcome.items[0].url.startswith("https://x.com/i/web/")


@pytest.mark.parametrize("status", [401, 403])
def test_x_credential_problems_are_errors_with_xs_explanation(status: int) -> None:
    adapter = XAdapter(env={TOKEN: "t"})
    body = json.dumps({"title": "Unauthorized", "detail": "Token revoked"}).encode()
    outcome = adapter.classify(Query("x"), _answer(adapter, "x", body, status))
    assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.LOGIN_WALL)
    assert outcome.detail == f"HTTP {status}: Token revoked"


# -- JSON answers: notices in escaped JSON, refusals -------------------------------------


def test_a_notice_in_escaped_json_is_found_and_quoted_unescaped() -> None:
    adapter = WeiboMobileAdapter(env={})
    body = (WeiboMobileAdapter.fixture_dir(FIXTURES) / "notice.synthetic.json").read_bytes()
    assert "未予显示".encode() not in body  # m.weibo.cn escapes every CJK character
    outcome = adapter.classify(Query("习近平"), _answer(adapter, "习近平", body))
    assert outcome.signal is Signal.NOTICE
    assert outcome.notice == "根据相关法律法规和政策，“习近平”搜索结果未予显示。"


def test_a_notice_wins_over_an_api_refusal_code() -> None:
    """ok=0 with an unknown message is an error, unless that message is a notice."""
    adapter = WeiboMobileAdapter(env={})
    notice = {"ok": 0, "msg": "根据相关法律法规和政策，“白纸”搜索结果未予显示。"}
    other = {"ok": 0, "msg": "系统繁忙"}
    read = [
        adapter.classify(Query("白纸"), _answer(adapter, "白纸", json.dumps(data).encode()))
        for data in (notice, other)
    ]
    assert (read[0].verdict, read[0].signal) == (Verdict.CENSORED, Signal.NOTICE)
    assert (read[1].verdict, read[1].error, read[1].detail) == (
        Verdict.ERROR,
        ErrorKind.PARSE,
        "ok=0: 系统繁忙",
    )


def test_weibo_login_answer_says_where_to_log_in() -> None:
    adapter = WeiboMobileAdapter(env={})
    body = (WeiboMobileAdapter.fixture_dir(FIXTURES) / "login.synthetic.json").read_bytes()
    outcome = adapter.classify(Query("x"), _answer(adapter, "x", body))
    assert outcome.error is ErrorKind.LOGIN_WALL
    assert outcome.detail is not None and "passport.weibo.cn/signin" in outcome.detail


@pytest.mark.parametrize(
    ("status", "kind"), [(200, ErrorKind.CAPTCHA), (502, ErrorKind.HTTP_STATUS)]
)
def test_douyin_empty_body_is_an_unsigned_refusal_only_with_status_200(
    status: int, kind: ErrorKind
) -> None:
    adapter = DouyinAdapter(env={})
    outcome = adapter.classify(Query("x"), _answer(adapter, "x", b"", status))
    assert (outcome.verdict, outcome.error) == (Verdict.ERROR, kind)


def test_weibo_web_items_are_absolute_and_carry_their_source() -> None:
    adapter = WeiboAdapter(env={})
    body = (WeiboAdapter.fixture_dir(FIXTURES) / "results.synthetic.html").read_bytes()
    outcome = adapter.classify(Query("天气"), _answer(adapter, "天气", body))
    assert [item.url for item in outcome.items] == [
        "https://weibo.com/1000000001/NbC4x1?refer_flag=1001030103_",
        "https://weibo.com/2803301701/NbC4x2?refer_flag=1001030103_",
        "https://weibo.com/1000000003/NbC4x3?refer_flag=1001030103_",
    ]
    assert [item.source for item in outcome.items] == ["weibo.com", "people.com.cn", "weibo.com"]
    assert outcome.items[0].title == "今天#天气#晴转多云，最高气温18度。"


# -- official accounts -------------------------------------------------------------------


def test_every_official_account_stands_for_an_allow_listed_domain() -> None:
    allowlist = load_allowlist("cn-official")
    lines = ACCOUNTS_FILE.read_text(encoding="utf-8").splitlines()
    rows = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    assert rows and all(len(row) == 2 for row in rows)
    for account, domain in rows:
        assert official_source(account, "weibo.com") == domain
        assert in_allowlist(domain, allowlist), f"{account} -> {domain} not in cn-official.txt"


def test_other_accounts_are_the_platform_itself() -> None:
    assert official_source("人民日报的粉丝", "weibo.com") == "weibo.com"
    assert official_source("", "douyin.com") == "douyin.com"


def test_the_testbeds_official_accounts_map_back_to_their_domains() -> None:
    for domain, account in ACCOUNTS.items():
        assert official_source(account, "bilibili.com") == domain
