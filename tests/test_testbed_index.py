"""The testbed's index: a corpus searched like a search engine, and personalities that show
what they log."""

from __future__ import annotations

import httpx
import pytest

from probes import Adapter, Query, Signal, Verdict
from probes.registry import adapters
from testbed import Action, Rule, RuleBook, serve_in_thread
from testbed import TestbedConfig as Config  # not collected as a test class
from testbed.index import Index
from testbed.pages import PageKind
from testbed.personalities import get_personality
from testbed.rules import DEFAULT_ALLOWLIST

INDEX = Index(DEFAULT_ALLOWLIST)
#: Each personality and the adapter that reads its pages.
READERS = {
    "generic": "testbed",
    "baidu": "baidu",
    "bing": "bing_cn",
    "weibo": "weibo",
    "bilibili": "bilibili",
    "x": "x",
    "wikipedia": "wikipedia_zh",
}
RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("白纸",), action=Action.ZERO_RESULTS),
        Rule(parts=("新疆",), action=Action.SOFT),
    )
)


def _count(query: str, operator: str | None = "OR") -> int:
    return len(INDEX.search(query, operator))


def test_a_rare_string_finds_nothing_and_a_common_word_many() -> None:
    assert _count("qzvxkplt") == 0
    assert _count("㐀㐁㐂") == 0
    assert _count("的") == len(INDEX.corpus)
    assert len(INDEX.corpus) // 4 < _count("天气") < len(INDEX.corpus)
    # A tail word is in a few documents.
    assert 0 < _count("白纸") < _count("天气") // 4


def test_and_narrows_or_widens_and_site_restricts() -> None:
    weather, china = set(INDEX.search("天气")), set(INDEX.search("中国"))
    assert set(INDEX.search("天气 中国")) == weather & china
    assert set(INDEX.search("天气 OR 中国")) == weather | china
    assert set(INDEX.search("(天气 OR 中国) 北京")) == (weather | china) & set(INDEX.search("北京"))
    zhihu = INDEX.search("天气 site:zhihu.com")
    assert zhihu and {doc.source for doc in zhihu} == {"zhihu.com"}
    assert set(zhihu) < weather


def test_a_word_inside_a_longer_word_is_found_and_case_does_not_matter() -> None:
    forecast = set(INDEX.search("天气预报"))
    assert forecast and forecast <= set(INDEX.search("天气"))
    assert INDEX.search("HELLO") == INDEX.search("hello") != []
    assert INDEX.search('"天气预报"') == INDEX.search("天气预报")


def test_each_platform_spells_or_its_own_way() -> None:
    assert _count("qzvxkplt | 的", operator="|") == len(INDEX.corpus)
    # Where the platform has no OR, the operator is a word, and nothing has it.
    assert _count("qzvxkplt OR 的", operator=None) == 0
    assert _count("(qzvxkplt) OR 的") == len(INDEX.corpus)


def test_the_truisms_of_the_adapters_find_results_for_a_rare_string() -> None:
    registry = adapters()
    for personality, reader in (("generic", "testbed"), ("baidu", "baidu"), ("bing", "bing_cn")):
        adapter = registry[reader]()
        operator = get_personality(personality).operator
        with_term, alone = adapter.truism(Query("qzvxkplt")), adapter.truism(None)
        assert with_term is not None and alone is not None
        assert _count(with_term.text, operator) > 0, (personality, with_term.text)
        assert _count(alone.text, operator) > 0


def test_a_query_of_operators_only_finds_nothing() -> None:
    for query in ("", "OR", "()", "( OR )", '""'):
        assert _count(query) == 0, query


def test_counts_drift_a_little_between_askings_and_nothing_stays_nothing() -> None:
    index = Index(DEFAULT_ALLOWLIST, drift=0.02)
    matches = len(index.search("天气"))
    counts = [index.page("天气", None).result_count for _ in range(20)]
    assert len(set(counts)) > 10
    assert all(abs(count / (matches * index.scale) - 1) <= 0.02 for count in counts)
    assert {index.page("qzvxkplt", None).result_count for _ in range(5)} == {0}
    # The same seed builds the same corpus.
    assert Index(DEFAULT_ALLOWLIST).search("白纸") == INDEX.search("白纸")


def test_rules_censor_on_top_of_the_index() -> None:
    index = Index(DEFAULT_ALLOWLIST)
    soft = index.page("新疆", Rule(parts=("新疆",), action=Action.SOFT))
    assert soft.kind is PageKind.SOFT and soft.items
    assert {item.source for item in soft.items} <= set(DEFAULT_ALLOWLIST)
    assert index.page("白纸", Rule(parts=("白纸",), action=Action.ZERO_RESULTS)).result_count == 0
    partial = index.page("天气", Rule(parts=("天气",), action=Action.PARTIAL_NOTICE))
    assert partial.kind is PageKind.PARTIAL_NOTICE
    assert partial.result_count < index.page("天气", None).result_count
    # A soft rule over a string nothing official has shows nothing at all.
    assert (
        index.page("qzvxkplt", Rule(parts=("q",), action=Action.SOFT)).kind is PageKind.ZERO_RESULTS
    )


def _read(adapter: Adapter, text: str) -> tuple[Verdict, Signal | None]:
    query = Query(text)
    with httpx.Client(timeout=5) as client:
        outcome = adapter.classify(query, client.send(adapter.request(query)))
    assert outcome.error is None, (text, outcome.detail)
    return outcome.verdict, outcome.signal


def _expected(shown: str, adapter: Adapter) -> tuple[Verdict, Signal | None]:
    """What a reader makes of a page that shows ``shown``: silence only where it is known."""
    if shown == "results":
        return Verdict.VISIBLE, None
    signal = Signal(shown)
    if signal in (Signal.ZERO_RESULTS, Signal.SOFT) and signal not in adapter.silent_censorship:
        return Verdict.VISIBLE, None
    return Verdict.CENSORED, signal


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
@pytest.mark.parametrize(("personality", "reader"), sorted(READERS.items()))
def test_every_personality_shows_what_it_logs(personality: str, reader: str, index: bool) -> None:
    config = Config(rules=RULES, personality=personality, index=index)
    with serve_in_thread(config) as testbed:
        adapter = adapters()[reader](base_url=testbed.url, env={"CENSORPROBE_X_BEARER_TOKEN": "t"})
        readings = [_read(adapter, text) for text in ("天气", "习近平", "六四", "白纸", "新疆")]
        log = testbed.log
    assert [entry["rule"] for entry in log] == [
        None,
        "notice",
        "partial_notice",
        "zero_results",
        "soft",
    ]
    assert readings == [_expected(entry["answer"], adapter) for entry in log]


def test_a_rare_string_is_an_empty_answer_only_with_the_index() -> None:
    for index, found in ((False, Verdict.VISIBLE), (True, Verdict.CENSORED)):
        with serve_in_thread(Config(personality="generic", index=index)) as testbed:
            adapter = adapters()["testbed"](base_url=testbed.url)
            verdict, signal = _read(adapter, "qzvxkplt")
            answer = testbed.log[-1]["answer"]
        # The generic testbed declares silent zero results: an empty page is a suspicion.
        assert verdict is found
        assert answer == ("zero_results" if index else "results")
        assert signal == (Signal.ZERO_RESULTS if index else None)


def test_a_long_query_is_cut_silently_before_it_is_read() -> None:
    rules = RuleBook((Rule(parts=("白纸",), action=Action.ZERO_RESULTS),))
    with serve_in_thread(Config(rules=rules, index=True, max_query_length=5)) as testbed:
        adapter = adapters()["testbed"](base_url=testbed.url)
        cut = _read(adapter, "天气 北京 白纸")
        whole = _read(adapter, "天气白纸")
        rules_acted = [entry["rule"] for entry in testbed.log]
    assert cut == (Verdict.VISIBLE, None)  # the censored part fell past the cut
    assert whole == (Verdict.CENSORED, Signal.ZERO_RESULTS)
    assert rules_acted == [None, "zero_results"]
