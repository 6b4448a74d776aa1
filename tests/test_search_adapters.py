"""What the Baidu, Bing, DuckDuckGo and Wikipedia adapters read beyond the verdict."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx

from probes import Adapter, ErrorKind, Outcome, Query, Signal, Verdict
from probes.kit.checks import fixture_bytes
from probes.platforms.baidu import BaiduAdapter
from probes.platforms.bing import BingAdapter, BingCnAdapter
from probes.platforms.duckduckgo import DuckDuckGoAdapter
from probes.platforms.wikipedia import WikipediaEnAdapter, WikipediaZhAdapter

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _classify(
    adapter: Adapter, body: bytes | str, status: int = 200, headers: dict[str, str] | None = None
) -> Outcome:
    content = body.encode() if isinstance(body, str) else body
    query = Query("Hello")
    response = httpx.Response(
        status, headers=headers, content=content, request=adapter.request(query)
    )
    return adapter.classify(query, response)


def test_baidu_reads_organic_results_and_their_shown_domains() -> None:
    outcome = _classify(BaiduAdapter(), fixture_bytes(FIXTURES / "baidu" / "baidu-Hello.html.gz"))
    assert [item.source for item in outcome.items] == [
        "iciba.com", "hello.com", "account.hisupplier.com", "dict.cn"
    ]  # fmt: skip
    assert outcome.items[0].title.startswith("hello是什么意思")
    assert all(item.url.startswith("http://www.baidu.com/link?url=") for item in outcome.items)


def test_baidu_notice_text_is_kept_verbatim() -> None:
    page = fixture_bytes(FIXTURES / "baidu" / "partial-notice.synthetic.html.gz")
    outcome = _classify(BaiduAdapter(), page)
    assert outcome.notice == "根据相关法律法规和政策，部分搜索结果未予显示。"
    assert len(outcome.items) == 4


def test_baidu_page_without_results_or_count_is_not_zero_results() -> None:
    """A layout the parser does not know must not pass for an empty answer (rule zero)."""
    outcome = _classify(BaiduAdapter(), "<html><body><div id='content_left'></div></body></html>")
    assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.PARSE)


def test_baidu_without_a_count_counts_what_it_read() -> None:
    page = (
        "<div id='content_left'><div class='result c-container' mu='https://www.gov.cn/a'>"
        "<h3><a href='/link?url=1'>A</a></h3></div>"
        "<div class='result c-container'><h3><a href='/link?url=2'>B</a></h3>"
        "<a class='c-showurl'>blog.example.net/b</a></div></div>"
    )
    outcome = _classify(BaiduAdapter(), page)
    assert (outcome.verdict, outcome.result_count) == (Verdict.VISIBLE, 2)
    assert [item.source for item in outcome.items] == ["gov.cn", "blog.example.net"]


def test_bing_reads_results_and_unwraps_click_tracking_links() -> None:
    outcome = _classify(BingAdapter(), fixture_bytes(FIXTURES / "bing" / "bing-Hello.html.gz"))
    assert len(outcome.items) == 9
    assert outcome.items[0].url == "https://www.hellomagazine.com/"
    assert outcome.items[0].source == "hellomagazine.com"
    target = base64.urlsafe_b64encode(b"https://example.org/page?x=1").decode().rstrip("=")
    page = (
        '<ol id="b_results"><li class="b_algo"><h2><a href="https://www.bing.com/ck/a?!&amp;&amp;'
        f'p=abc&amp;u=a1{target}&amp;ntb=1">T</a></h2></li></ol>'
        '<span class="sb_count">约 1 个结果</span>'
    )
    (item,) = _classify(BingCnAdapter(), page).items
    assert (item.url, item.source) == ("https://example.org/page?x=1", "example.org")


def test_only_bing_china_reads_official_sources_as_soft() -> None:
    page = (
        '<ol id="b_results"><li class="b_algo"><h2><a href="http://www.news.cn/a">A</a></h2></li>'
        '<li class="b_algo"><h2><a href="https://www.gov.cn/b">B</a></h2></li></ol>'
    )
    assert _classify(BingCnAdapter(), page).signal is Signal.SOFT
    assert _classify(BingAdapter(), page).verdict is Verdict.VISIBLE


def test_duckduckgo_unwraps_redirect_links() -> None:
    plain = _classify(
        DuckDuckGoAdapter(), fixture_bytes(FIXTURES / "duckduckgo" / "duckduckgo-Hello.html")
    )
    wrapped_page = fixture_bytes(FIXTURES / "duckduckgo" / "redirect-links.synthetic.html")
    wrapped = _classify(DuckDuckGoAdapter(), wrapped_page)
    assert wrapped.items == plain.items
    assert plain.items[0].url == "https://www.merriam-webster.com/dictionary/hello"


def test_wikipedia_items_link_to_the_pages_on_the_configured_host() -> None:
    adapter = WikipediaZhAdapter(base_url="http://127.0.0.1:9")
    outcome = _classify(
        adapter, fixture_bytes(FIXTURES / "wikipedia" / "zh-current-format.synthetic.json")
    )
    assert outcome.items[0].url == "http://127.0.0.1:9/wiki/%E5%A4%A9%E6%B0%94"
    porsche = _classify(
        WikipediaEnAdapter(), fixture_bytes(FIXTURES / "wikipedia" / "en-porsche.json")
    )
    assert [item.url for item in porsche.items][
        -1
    ] == "https://en.wikipedia.org/wiki/Porsche_911_GT3"
    assert {item.source for item in porsche.items} == {"en.wikipedia.org"}


def test_wikipedia_backoff_errors_carry_retry_after() -> None:
    maxlag = fixture_bytes(FIXTURES / "wikipedia" / "maxlag.synthetic.json")
    assert _classify(WikipediaEnAdapter(), maxlag, headers={"Retry-After": "5"}).retry_after == 5.0
    assert _classify(WikipediaEnAdapter(), maxlag).retry_after == 6.2  # the reported lag
    throttled = _classify(WikipediaEnAdapter(), "Too many requests", 429, {"Retry-After": "30"})
    assert (throttled.error, throttled.retry_after) == (ErrorKind.RATE_LIMITED, 30.0)


def test_wikipedia_json_of_another_shape_is_a_parse_error() -> None:
    values: list[object] = [
        {"query": {"search": [{"ns": 0}]}},
        {"query": {"search": {"title": "x"}}},
        {"query": []},
        {"error": "not an API error object"},
        [{"title": "x"}],
        "query",
    ]
    for value in values:
        outcome = _classify(WikipediaEnAdapter(), json.dumps(value))
        assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.PARSE), value
