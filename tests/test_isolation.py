"""Trigger isolation (``runners.isolation.search``) against a simulated keyword-combination platform."""

from __future__ import annotations

import asyncio
import importlib.util
import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO

from runners.isolation.search import BudgetExceeded, Isolation, Parts, isolate, isolate_async

Rule = tuple[str, ...]


def _load_baseline() -> Callable[[str, Callable[[Sequence[str]], bool]], Parts | None]:
    path = REPO / "benchmarks" / "xiong_knockel.py"
    spec = importlib.util.spec_from_file_location("xiong_knockel", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.comp_aware_bin_split


comp_aware_bin_split = _load_baseline()


class Platform:
    """Censors a query when every part of one of its rules is inside one of the fragments."""

    def __init__(self, *rules: Rule) -> None:
        self.rules = rules
        self.queries: list[Parts] = []

    def __call__(self, fragments: Sequence[str]) -> bool:
        self.queries.append(tuple(fragments))
        return self.censors(fragments)

    def censors(self, fragments: Sequence[str]) -> bool:
        return any(all(any(p in f for f in fragments) for p in rule) for rule in self.rules)


def essential(rule: Rule) -> frozenset[str]:
    """What a rule needs: its parts, less those inside another of its parts."""
    return frozenset(p for p in rule if not any(p != q and p in q for q in rule))


def one_step_smaller(trigger: Parts) -> list[Parts]:
    """The trigger less one part, and with one part shorter by a character at either end."""
    dropped = [trigger[:i] + trigger[i + 1 :] for i in range(len(trigger))]
    shortened = [
        (*trigger[:i], cut, *trigger[i + 1 :])
        for i, part in enumerate(trigger)
        for cut in (part[1:], part[:-1])
    ]
    return dropped + shortened


def assert_exact(result: Isolation, text: str, platform: Platform) -> None:
    """The trigger is what one rule present in the text needs, and nothing less triggers."""
    present = {essential(rule) for rule in platform.rules if all(p in text for p in rule)}
    assert result.trigger is not None
    assert len(set(result.trigger)) == len(result.trigger)
    assert frozenset(result.trigger) in present
    assert platform.censors(result.trigger)
    assert not any(platform.censors(smaller) for smaller in one_step_smaller(result.trigger))
    assert result.calls == len(platform.queries)


ARTICLE = (
    "人权观察委员会今天发布年度报告，称过去一年里宗教自由状况继续恶化。报告提到习近平上台以来对"
    "地下教会和法轮功的镇压，也提到藏传佛教寺院受到的限制。多名议员呼吁对负责新疆事务的官员实施"
    "制裁，并要求关闭集中营。报告还说，对维吾尔族的镇压仍在持续。"
)


@pytest.mark.parametrize(
    ("rule", "trigger"),
    [
        (("法轮功",), ("法轮功",)),
        (("集中营", "新疆"), ("新疆", "集中营")),
        (("镇压", "习近平", "宗教自由"), ("宗教自由", "习近平", "镇压")),
        (("委员会", "人权", "藏传佛教", "制裁"), ("人权", "委员会", "藏传佛教", "制裁")),
    ],
    ids=["1 part", "2 parts", "3 parts", "4 parts"],
)
def test_isolates_rules_of_one_to_four_parts_left_to_right(rule: Rule, trigger: Parts) -> None:
    platform = Platform(rule)
    result = isolate(ARTICLE, platform)
    assert result.trigger == trigger
    assert_exact(result, ARTICLE, platform)


@pytest.mark.parametrize(
    ("text", "rule", "trigger"),
    [
        # Parts that overlap where they occur: only 調整體 holds 調整 and 整體.
        (
            "甲帶來乙調整體丙領域丁",
            ("領域", "整體", "調整", "帶來"),
            ("帶來", "調整", "整體", "領域"),
        ),
        # A part inside another part of the rule adds nothing to it.
        ("你好，你的屄在哪里", ("你", "你的屄"), ("你的屄",)),
        ("总书记习近平出访", ("近平", "习近平"), ("习近平",)),
        # A part listed twice is one part.
        ("纪念六四三十周年", ("六四", "六四"), ("六四",)),
        # Parts that occur several times, parts at both ends of the text.
        ("六四学生六四运动六四", ("六四", "学生"), ("学生", "六四")),
        ("屄字", ("屄",), ("屄",)),
        ("天安门广场上的坦克人照片", ("天安门广场上的坦克人照片",), ("天安门广场上的坦克人照片",)),
    ],
)
def test_overlapping_repeated_and_nested_parts(text: str, rule: Rule, trigger: Parts) -> None:
    platform = Platform(rule)
    result = isolate(text, platform)
    assert result.trigger == trigger
    assert_exact(result, text, platform)


def test_a_long_part_is_found_whole() -> None:
    part = "中华人民共和国国家主席习近平同志"
    text = "据报道，" * 20 + part + "发表了讲话。" * 20
    platform = Platform((part, "讲话"))
    result = isolate(text, platform)
    assert result.trigger == (part, "讲话")
    assert_exact(result, text, platform)


def test_several_rules_give_one_of_them_and_always_the_same() -> None:
    rules = [("法轮功",), ("习近平", "镇压"), ("新疆", "集中营")]
    platforms = [Platform(*rules) for _ in range(3)]
    runs = [isolate(ARTICLE, platform) for platform in platforms]
    # The rule left standing longest as the text is cut from the left.
    assert runs[0].trigger == ("新疆", "集中营")
    assert runs[0] == runs[1] == runs[2]
    assert platforms[0].queries == platforms[1].queries == platforms[2].queries
    assert_exact(runs[0], ARTICLE, platforms[0])


def test_an_uncensored_text_costs_one_call() -> None:
    platform = Platform(("法轮大法",))
    assert isolate(ARTICLE, platform) == Isolation(None, 1)
    assert platform.queries == [(ARTICLE,)]


def test_an_empty_text_is_not_sent() -> None:
    platform = Platform(("六四",))
    assert isolate("", platform) == Isolation(None, 0)
    assert platform.queries == []


def test_budget_exceeded_stops_before_the_call_past_the_budget() -> None:
    needed = isolate(ARTICLE, Platform(("新疆", "集中营"))).calls
    assert isolate(ARTICLE, Platform(("新疆", "集中营")), budget=needed).calls == needed
    platform = Platform(("新疆", "集中营"))
    with pytest.raises(BudgetExceeded, match=f"after {needed - 1} oracle calls") as raised:
        isolate(ARTICLE, platform, budget=needed - 1)
    assert (raised.value.calls, raised.value.budget) == (needed - 1, needed - 1)
    assert len(platform.queries) == needed - 1


def test_an_oracle_error_ends_the_isolation() -> None:
    platform = Platform(("法轮功",))

    def flaky(fragments: Sequence[str]) -> bool:
        if len(platform.queries) == 3:
            raise TimeoutError("platform did not answer")
        return platform(fragments)

    with pytest.raises(TimeoutError):
        isolate(ARTICLE, flaky)
    assert len(platform.queries) == 3


def test_the_async_driver_asks_the_same_queries() -> None:
    sync_platform, async_platform = Platform(("习近平", "镇压")), Platform(("习近平", "镇压"))

    async def oracle(fragments: Sequence[str]) -> bool:
        await asyncio.sleep(0)
        return async_platform(fragments)

    result = asyncio.run(isolate_async(ARTICLE, oracle))
    assert result == isolate(ARTICLE, sync_platform)
    assert async_platform.queries == sync_platform.queries


def test_a_known_trigger_in_the_text_costs_one_call() -> None:
    platform = Platform(("新疆", "集中营"), ("法轮功",))
    known = [("六四", "学生"), ("新疆", "集中营"), ("法轮功",)]  # 六四 is not in the text
    assert isolate(ARTICLE, platform, known=known) == Isolation(("新疆", "集中营"), 1, reused=True)
    assert platform.queries == [("新疆", "集中营")]


def test_known_triggers_that_no_longer_censor_cost_at_most_three_calls() -> None:
    plain = isolate(ARTICLE, Platform(("习近平", "镇压")))
    platform = Platform(("习近平", "镇压"))
    known = [
        ("法轮功",),
        ("新疆", "集中营"),
        ("人权",),
        ("宗教",),
    ]  # all in the text, none censored
    result = isolate(ARTICLE, platform, known=known)
    assert result == Isolation(plain.trigger, plain.calls + 3)
    assert platform.queries[:4] == [("法轮功",), ("新疆", "集中营"), ("人权",), (ARTICLE,)]


def test_an_earlier_trigger_is_checked_again_before_it_is_reused() -> None:
    platform = Platform(("新疆", "集中营"))
    result = isolate(ARTICLE, platform, earlier=[("新疆", "集中营")])
    assert result == Isolation(("新疆", "集中营"), 1 + 3 * 2, reused=True)
    assert not any(platform.censors(query) for query in platform.queries[1:])
    # The rules changed since: 新疆 alone is censored now, so the old trigger is not minimal.
    changed = Platform(("新疆",))
    result = isolate(ARTICLE, changed, earlier=[("新疆", "集中营")])
    assert result.trigger == ("新疆",) and not result.reused
    assert_exact(result, ARTICLE, changed)


def test_fewer_calls_than_the_baseline() -> None:
    """A guard on the savings; ``benchmarks/bench_isolation.py`` measures them at scale."""
    rng = random.Random(6)
    ours = theirs = 0
    for _ in range(60):
        rule = tuple(
            "".join(rng.choices(ARTICLE, k=rng.randint(2, 6))) for _ in range(rng.randint(1, 4))
        )
        text = "".join(rng.choices(ARTICLE, k=rng.randint(150, 400)))
        for part in rule:
            at = rng.randint(0, len(text))
            text = text[:at] + part + text[at:]
        ours += isolate(text, Platform(rule)).calls
        baseline = Platform(rule)
        comp_aware_bin_split(text, baseline)
        theirs += len(baseline.queries)
    assert ours < 0.92 * theirs


SMALL_ALPHABET = "你的我是不了中国人"
_parts = st.text(SMALL_ALPHABET, min_size=1, max_size=6)
_rules = st.lists(_parts, min_size=1, max_size=4).map(tuple)


@st.composite
def censored_texts(draw: st.DrawFn) -> tuple[str, list[Rule]]:
    """Short texts over few characters, so parts repeat and overlap, with rules put in."""
    text = draw(st.text(SMALL_ALPHABET, max_size=40))
    rules = draw(st.lists(_rules, min_size=1, max_size=2))
    for rule in rules[: draw(st.integers(1, len(rules)))]:
        for part in rule:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + part + text[at:]  # may split a part put in before
    return text, rules


@settings(max_examples=300, deadline=None)
@given(censored_texts())
def test_the_trigger_is_exact_minimal_and_agrees_with_the_baseline(
    case: tuple[str, list[Rule]],
) -> None:
    text, rules = case
    platform = Platform(*rules)
    result = isolate(text, platform)
    present = {essential(rule) for rule in rules if all(p in text for p in rule)}
    baseline = comp_aware_bin_split(text, Platform(*rules))
    if not present:
        assert result == Isolation(None, 1)
        assert baseline is None
        return
    assert_exact(result, text, platform)
    assert all(fragment and fragment in text for query in platform.queries for fragment in query)
    assert len(set(platform.queries)) == len(platform.queries)
    assert baseline is not None and frozenset(baseline) in present
    if len(present) == 1:
        assert frozenset(result.trigger or ()) == frozenset(baseline)


@settings(max_examples=150, deadline=None)
@given(censored_texts(), st.integers(0, 40))
def test_known_triggers_keep_the_trigger_exact(case: tuple[str, list[Rule]], cut: int) -> None:
    """Triggers isolated before on the platform (here from suffixes of the text) are minimal,
    so the one reused is exact too."""
    text, rules = case
    platform = Platform(*rules)
    known = [isolate(text[at:], Platform(*rules)).trigger for at in range(0, cut, 3)]
    result = isolate(text, platform, known=[trigger for trigger in known if trigger])
    if not any(all(p in text for p in rule) for rule in rules):
        assert result.trigger is None
        return
    assert_exact(result, text, platform)


@settings(max_examples=150, deadline=None)
@given(censored_texts(), _parts, st.lists(_rules, max_size=1))
def test_earlier_triggers_of_other_rules_keep_the_trigger_exact(
    case: tuple[str, list[Rule]], extra: str, other: list[Rule]
) -> None:
    """Triggers found when the platform had other rules may no longer censor, or no longer be
    minimal (the rules were narrower: one more part each): what is reused is checked, so the
    result is exact all the same."""
    text, rules = case
    before = [(*rule, extra) for rule in rules] + other
    earlier = isolate(text + extra, Platform(*before)).trigger
    platform = Platform(*rules)
    result = isolate(text, platform, earlier=[earlier] if earlier else [])
    if not any(all(p in text for p in rule) for rule in rules):
        assert result.trigger is None
        return
    assert_exact(result, text, platform)


# -- priors and windows ----------------------------------------------------------------------

from runners.isolation.priors import Priors, _word_cuts  # noqa: E402
from runners.isolation.windows import Spread, isolate_windows, windows  # noqa: E402

PRIORS = Priors.from_rules(
    [("法轮功",), ("习近平", "镇压"), ("你", "你的"), ("中国人",), ("不了",)]
)


@settings(max_examples=200, deadline=None)
@given(censored_texts())
def test_priors_never_change_the_trigger_only_the_queries(case: tuple[str, list[Rule]]) -> None:
    text, rules = case
    platform = Platform(*rules)
    result = isolate(text, platform, priors=PRIORS)
    if not any(all(p in text for p in rule) for rule in rules):
        assert result == Isolation(None, 1)
        return
    assert_exact(result, text, platform)
    assert all(fragment and fragment in text for query in platform.queries for fragment in query)


def test_priors_that_know_the_rule_save_queries_and_learn() -> None:
    blind = isolate(ARTICLE, Platform(("集中营", "新疆")))
    informed = isolate(ARTICLE, Platform(("集中营", "新疆")), priors=Priors.from_rules([("新疆",)]))
    assert informed.trigger == blind.trigger == ("新疆", "集中营")
    assert informed.calls < blind.calls
    learnt = PRIORS.copy()
    learnt.learn(("新疆", "集中营"))
    assert learnt.parts["集中营"] > PRIORS.parts["集中营"] == 0
    assert isolate(ARTICLE, Platform(("集中营", "新疆")), priors=learnt).calls < blind.calls


def test_windows_cover_the_text_by_halves() -> None:
    assert windows(5, 8) == [(0, 5)]
    assert windows(20, 8) == [(0, 8), (4, 12), (8, 16), (12, 20)]
    assert windows(21, 8)[-1] == (13, 21)


@settings(max_examples=150, deadline=None)
@given(censored_texts(), st.integers(9, 30))
def test_windows_give_the_exact_trigger_or_say_the_parts_are_spread(
    case: tuple[str, list[Rule]], limit: int
) -> None:
    text, rules = case
    platform = Platform(*rules)

    async def oracle(fragments: Sequence[str]) -> bool:
        return platform(fragments)

    try:
        result = asyncio.run(isolate_windows(text, oracle, limit=limit, priors=PRIORS))
    except Spread:
        assert len(text) > limit
        return
    if result.trigger is None:  # only a short text is asked whole
        assert len(text) <= limit and not platform.censors((text,))
        return
    assert_exact(result, text, platform)


def _windowed(text: str, platform: Platform, limit: int, **reuse: list[Parts]) -> Isolation:
    async def oracle(fragments: Sequence[str]) -> bool:
        return platform(fragments)

    return asyncio.run(isolate_windows(text, oracle, limit=limit, **reuse))


def test_windows_try_the_triggers_found_before_first() -> None:
    text = "今天天气很好" * 10 + "习近平在北京" + "大家都说了" * 8 + "抗议的事情"
    rule = ("习近平", "抗议")
    blind = _windowed(text, Platform(rule), 20)
    platform = Platform(rule)
    known = _windowed(text, platform, 20, known=[("法轮功",), ("习近平", "抗议"), ("你",)])
    assert known == Isolation(("习近平", "抗议"), 1, True) and blind.calls > 5
    assert platform.queries == [("习近平", "抗议")]  # 法轮功 and 你 are not in the text
    # A trigger too long to send is not asked; an earlier one is checked to be still minimal.
    platform = Platform(rule)
    reused = _windowed(
        text, platform, 20, known=[("习近平在北京大家都说了大家", "都说了抗议的事情")]
    )
    assert reused.trigger == ("习近平", "抗议") and not reused.reused
    assert all(len(" ".join(query)) <= 20 for query in platform.queries)
    platform = Platform(rule)
    earlier = _windowed(text, platform, 20, earlier=[("习近平", "抗议的事")])
    assert earlier.trigger == ("习近平", "抗议") and not earlier.reused  # no longer minimal
    assert platform.queries[0] == ("习近平", "抗议的事")
    earlier = _windowed(text, Platform(rule), 20, earlier=[("习近平", "抗议")])
    assert earlier == Isolation(("习近平", "抗议"), 7, True)


def test_jieba_is_loaded_only_when_a_text_is_searched() -> None:
    """A text that is not censored, or that a known trigger censors, needs no segmenting."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from runners.isolation.priors import Priors\n"
        "from runners.isolation.search import isolate\n"
        "priors = Priors.from_rules([('习近平', '抗议')])\n"
        "censors = lambda q: any('抗议' in f for f in q) and any('习近平' in f for f in q)\n"
        "assert isolate('今天天气很好', censors, priors=priors).trigger is None\n"
        "text = '昨天习近平说抗议'\n"
        "assert isolate(text, censors, priors=priors, known=[('习近平', '抗议')]).calls == 1\n"
        "assert 'jieba' not in sys.modules\n"
        "assert isolate(text, censors, priors=priors).trigger == ('习近平', '抗议')\n"
        "assert 'jieba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_a_common_character_absent_from_what_follows_is_likelier_a_part_of_its_own() -> None:
    """The search finds a part where it occurs last: a character the text is full of that
    occurs nowhere after is more likely the part than the start of a longer one."""
    rng = random.Random(3)
    filler = "".join(rng.choices(sorted(set(ARTICLE) - {"天"}), k=1500))
    common = "".join("天" if i % 40 == 0 else c for i, c in enumerate(filler[:1000]))
    calls = []
    for text in (common + "天" + filler[1000:], filler[:1000] + "天" + filler[1000:]):
        platform = Platform(("天",))
        result = isolate(text, platform)
        assert_exact(result, text, platform)
        calls.append(result.calls)
    assert calls[0] < calls[1]


def test_without_lists_jieba_words_weigh_little_until_the_answers_bear_them_out() -> None:
    """Parts of three characters starting inside one of jieba's words of ``ARTICLE``: jieba's
    boundaries alone (no rule list) cost them few more calls than no priors at all."""
    cuts = _word_cuts(ARTICLE)
    pieces = [
        ARTICLE[at : at + 3]
        for at in range(len(ARTICLE) - 3)
        if at not in cuts and ARTICLE.count(ARTICLE[at : at + 3]) == 1
    ]
    bare = sum(isolate(ARTICLE, Platform((piece,)), priors=Priors()).calls for piece in pieces)
    blind = sum(isolate(ARTICLE, Platform((piece,))).calls for piece in pieces)
    assert bare <= 1.05 * blind


@pytest.mark.parametrize("every", [40, 600])
def test_a_long_text_holding_a_character_before_costs_it_no_more_than_the_baseline(
    every: int,
) -> None:
    """A long text holds rules of single characters by chance: a part of one character that
    the text holds before (even once) and never after costs no more than the baseline's end
    scan, which asks for one character first."""
    rng = random.Random(3)
    filler = "".join(rng.choices(sorted(set(ARTICLE) - {"天"}), k=1500))
    before = "".join("天" if i % every == every - 1 else c for i, c in enumerate(filler[:750]))
    text = before + "天" + filler[750:]
    platform, baseline = Platform(("天",)), Platform(("天",))
    result = isolate(text, platform)
    assert_exact(result, text, platform)
    comp_aware_bin_split(text, baseline)
    assert result.calls <= len(baseline.queries)
