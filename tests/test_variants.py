"""Keyword variants: each spelling on real terms, no repeats, one probe per distinct variant."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from runners.cli import app
from runners.keywords.lists import load_lists
from runners.keywords.variants import ORIGINAL, VARIANTS, expand, variant_text
from runners.plan.planner import plan_controls, plan_probes

ALL = list(VARIANTS)

# (variant, original, expected): real terms from the demo and core lists
SPELLINGS = [
    ("traditional", "习近平", "習近平"),
    ("traditional", "一国两制", "一國兩制"),
    ("traditional", "动态清零", "動態清零"),
    ("simplified", "習近平", "习近平"),
    ("simplified", "劉曉波", "刘晓波"),
    ("pinyin", "习近平", "xijinping"),
    ("pinyin", "重庆", "chongqing"),  # a polyphone read right in context (not zhongqing)
    ("pinyin", "银行", "yinhang"),
    ("pinyin_spaced", "习近平", "xi jin ping"),
    ("pinyin_spaced", "六四", "liu si"),
    ("pinyin_initials", "习近平", "xjp"),
    ("pinyin_initials", "维尼 熊", "wnx"),
    ("spaced", "习近平", "习 近 平"),
    ("spaced", "白纸 运动", "白 纸 运 动"),  # existing spaces are not doubled
    ("dotted", "习近平", "习.近.平"),
    ("reversed", "习近平", "平近习"),
    ("pinyin", "COVID-19病毒", "COVID-19bingdu"),  # Latin and digits pass through
]


@pytest.mark.parametrize(("name", "text", "expected"), SPELLINGS)
def test_variant_spelling(name: str, text: str, expected: str) -> None:
    assert VARIANTS[name](text) == expected
    assert variant_text(name, text) == expected


def test_original_is_the_text_itself() -> None:
    assert variant_text(ORIGINAL, "习近平") == "习近平"


def test_expand_gives_every_distinct_variant_in_order() -> None:
    assert list(expand(("习近平",), ALL)) == [
        ("original", ("习近平",)),
        ("traditional", ("習近平",)),
        # simplified of a simplified term is the original: not repeated
        ("pinyin", ("xijinping",)),
        ("pinyin_spaced", ("xi jin ping",)),
        ("pinyin_initials", ("xjp",)),
        ("spaced", ("习 近 平",)),
        ("dotted", ("习.近.平",)),
        ("reversed", ("平近习",)),
    ]


def test_latin_term_is_not_probed_twice() -> None:
    """Script and pinyin variants leave Latin text as it is; those are dropped."""
    latin_only = ["traditional", "simplified", "pinyin", "pinyin_spaced"]
    assert list(expand(("Tiananmen",), latin_only)) == [("original", ("Tiananmen",))]
    names = [name for name, _ in expand(("xjp",), ALL)]
    assert names == ["original", "spaced", "dotted", "reversed"]


def test_a_variant_equal_to_an_earlier_variant_is_dropped() -> None:
    """習近平: traditional is the original; simplified differs; its pinyin is the same."""
    assert list(expand(("習近平",), ["traditional", "simplified", "pinyin"])) == [
        ("original", ("習近平",)),
        ("simplified", ("习近平",)),
        ("pinyin", ("xijinping",)),
    ]
    # one character: spaced, dotted and reversed are all the original
    assert list(expand(("习",), ["spaced", "dotted", "reversed"])) == [("original", ("习",))]


def test_combination_variants_apply_to_every_part() -> None:
    assert dict(expand(("习近平", "抗议"), ["traditional", "pinyin_initials"])) == {
        "original": ("习近平", "抗议"),
        "traditional": ("習近平", "抗議"),
        "pinyin_initials": ("xjp", "ky"),
    }
    # a combination is kept when only one of its parts changes
    assert dict(expand(("习近平", "PX"), ["traditional"])) == {
        "original": ("习近平", "PX"),
        "traditional": ("習近平", "PX"),
    }


LIST = """\
list: v
description: Variants of real terms
language: zh-Hans
variants: [traditional]
terms:
  - id: xi
    text: 习近平
    category: leaders
    variants: [traditional, simplified, pinyin, pinyin_initials, spaced, reversed]
  - id: xi-protest
    all: [习近平, 抗议]
    category: protest
    variants: [traditional, pinyin_initials]
  - id: tiananmen
    text: Tiananmen
    category: history
    variants: [traditional, simplified, pinyin]
  - id: sitong
    text: 四通桥
    category: protest
controls:
  - {id: weather, text: 天气}
"""

# (id, query, variant) as planned and shown
EXPECTED = [
    ("xi", "习近平", "original"),
    ("xi", "習近平", "traditional"),
    ("xi", "xijinping", "pinyin"),
    ("xi", "xjp", "pinyin_initials"),
    ("xi", "习 近 平", "spaced"),
    ("xi", "平近习", "reversed"),
    ("xi-protest", "习近平 + 抗议", "original"),
    ("xi-protest", "習近平 + 抗議", "traditional"),
    ("xi-protest", "xjp + ky", "pinyin_initials"),
    ("tiananmen", "Tiananmen", "original"),
    ("sitong", "四通桥", "original"),  # the list's default variants apply
    ("sitong", "四通橋", "traditional"),
]


@pytest.fixture
def variant_list(tmp_path: Path) -> Path:
    path = tmp_path / "v.yaml"
    path.write_text(LIST, encoding="utf-8")
    return path


def test_plan_emits_one_probe_per_distinct_variant(variant_list: Path) -> None:
    lists = load_lists([variant_list])
    probes = list(plan_probes(lists, "weibo", "cn", separator=" "))
    assert [(p.term.id, " + ".join(p.query.parts), p.term.variant) for p in probes] == EXPECTED
    assert [p.key for p in probes[:2]] == ["v/xi/original/weibo/cn", "v/xi/traditional/weibo/cn"]
    assert len({p.key for p in probes}) == len(probes)
    combination = probes[7]
    assert combination.query.text == "習近平 抗議" and combination.query.parts == ("習近平", "抗議")
    assert combination.term.text == "習近平 抗議"
    (control,) = plan_controls(lists, "weibo", "cn")
    assert control.key == "v/weather/original/weibo/cn" and control.control


def test_show_variants_prints_every_variant(variant_list: Path) -> None:
    result = CliRunner().invoke(app, ["keywords", "show", "--variants", str(variant_list)])
    assert result.exit_code == 0, result.output
    rows = [
        tuple(cell.strip() for cell in line.split("│")[1:-1])
        for line in result.output.splitlines()
        if line.startswith("│")
    ]
    assert [(row[0], row[1], row[3]) for row in rows[:-1]] == EXPECTED
    assert rows[-1][:3] == ("weather", "天气", "control")


def test_show_without_variants_lists_names(variant_list: Path) -> None:
    result = CliRunner().invoke(app, ["keywords", "show", str(variant_list)])
    assert result.exit_code == 0, result.output
    assert "traditional, pinyin_initials" in result.output
    assert "習近平" not in result.output
