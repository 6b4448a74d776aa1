"""Malformed keyword lists: each error names file, line and field, and nothing runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import CONTROLS_YAML, REPO
from typer.testing import CliRunner

from runners.cli import app
from runners.keywords.lists import KeywordListsInvalid, load_lists

HEAD = "list: bad\ndescription: d\nlanguage: zh-Hans\n"

# (name, file text, expected line, expected field, words the message must contain)
MALFORMED = [
    (
        "yaml-syntax",
        HEAD + "terms:\n  - {id: a, text: [unclosed, category: x}\n",
        5,
        "",
        "not valid YAML",
    ),
    ("missing-terms", HEAD + CONTROLS_YAML, 1, "terms", "required"),
    (
        "missing-category",
        HEAD
        + "terms:\n  - id: a\n    text: 习近平\n    category: leaders\n  - id: b\n    text: 六四\n",
        8,
        "terms[1].category",
        "required",
    ),
    (
        "wrong-type",
        HEAD
        + "terms:\n  - id: a\n    text: 习近平\n    category: leaders\n    variants: traditional\n",
        8,
        "terms[0].variants",
        "list",
    ),
    (
        "duplicate-id",
        HEAD
        + "terms:\n  - {id: a, text: 习近平, category: c}\n  - {id: a, text: 六四, category: c}\n",
        6,
        "terms[1].id",
        "duplicate id 'a'",
    ),
    (
        "empty-all",
        HEAD + "terms:\n  - id: a\n    all: []\n    category: c\n",
        6,
        "terms[0].all",
        "at least 1",
    ),
    (
        "text-and-all",
        HEAD + "terms:\n  - id: a\n    text: 习近平\n    all: [习近平, 抗议]\n    category: c\n",
        5,
        "terms[0]",
        "exactly one of",
    ),
    (
        "neither-text-nor-all",
        HEAD + "terms:\n  - id: a\n    category: c\n",
        5,
        "terms[0]",
        "exactly one of",
    ),
    (
        "unknown-field",
        HEAD + "terms:\n  - id: a\n    txt: 习近平\n    category: c\n",
        6,
        "terms[0].txt",
        "unknown field",
    ),
    (
        "unknown-variant",
        HEAD + "terms:\n  - id: a\n    text: 习近平\n    category: c\n    variants: [klingon]\n",
        8,
        "terms[0].variants",
        "unknown variant 'klingon'",
    ),
    (
        "bad-id",
        HEAD + "terms:\n  - {id: ../../etc, text: x, category: c}\n",
        5,
        "terms[0].id",
        "pattern",
    ),
    (
        "empty-text",
        HEAD + "terms:\n  - id: a\n    text: ''\n    category: c\n",
        6,
        "terms[0].text",
        "at least 1",
    ),
    (
        "bad-date",
        HEAD
        + "source: {name: s, retrieved: yesterday}\nterms:\n  - {id: a, text: x, category: c}\n",
        4,
        "source.retrieved",
        "date",
    ),
    (
        "duplicate-key",
        HEAD + "terms:\n  - id: a\n    id: b\n    text: x\n    category: c\n",
        6,
        "terms[0].id",
        "appears twice",
    ),
    ("not-a-mapping", "- just\n- a list\n", 1, "", "mapping"),
]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "line", "field", "words"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_list_names_file_line_and_field(
    tmp_path: Path, name: str, text: str, line: int, field: str, words: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(KeywordListsInvalid) as caught:
        load_lists([path])
    error = caught.value.errors[0]
    assert error.path == str(path)
    assert error.line == line, str(error)
    assert error.field == field, str(error)
    assert words in error.message, str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    text = (HEAD + "terms:\n  - {id: a, text: 习近平, category: c}\n").encode("gb18030")
    path = write(tmp_path, "gbk", text)
    with pytest.raises(KeywordListsInvalid) as caught:
        load_lists([path])
    assert caught.value.errors[0].line == 5
    assert "UTF-8" in caught.value.errors[0].message


def test_one_list_id_twice_is_refused_but_term_ids_are_per_list(tmp_path: Path) -> None:
    """Probe keys are list/term/variant/platform/vantage: only a list id may not repeat."""
    body = "description: d\nlanguage: zh\nterms:\n  - {id: a, text: x, category: c}\n"
    first = write(tmp_path, "one", "list: one\n" + body)
    second = write(tmp_path, "two", "list: one\n" + body)
    third = write(tmp_path, "three", "list: three\n" + body)
    with pytest.raises(KeywordListsInvalid) as caught:
        load_lists([first, second])
    messages = [str(error) for error in caught.value.errors]
    assert messages == [f"{second}:1: field 'list': list id 'one' also used by {first}"]
    assert [item.content.id for item in load_lists([first, third])] == ["one", "three"]


def test_every_problem_in_every_file_is_reported(tmp_path: Path) -> None:
    paths = [write(tmp_path, name, text) for name, text, *_ in MALFORMED[:4]]
    with pytest.raises(KeywordListsInvalid) as caught:
        load_lists(paths)
    assert {error.path for error in caught.value.errors} == {str(p) for p in paths}


@pytest.mark.parametrize(
    ("name", "text"), [(m[0], m[1]) for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_nothing_runs_when_a_list_is_invalid(
    start_testbed, tmp_path: Path, name: str, text: str
) -> None:
    testbed = start_testbed()
    good = REPO / "keywords" / "demo.yaml"
    bad = write(tmp_path, name, text)
    out = tmp_path / "results"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(good),
            str(bad),
            "--platform",
            "testbed",
            "--base-url",
            testbed.url,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "nothing was run" in result.output
    assert str(bad) in result.output
    assert testbed.log == []
    assert not out.exists()


def test_check_command_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    for shipped in ("demo.yaml", "cn-core.yaml"):
        good = runner.invoke(app, ["keywords", "check", str(REPO / "keywords" / shipped)])
        assert good.exit_code == 0, good.output
    bad = write(tmp_path, "bad", MALFORMED[2][1])
    result = runner.invoke(app, ["keywords", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:8: field 'terms[1].category'" in result.output


def test_show_prints_terms(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["keywords", "show", str(REPO / "keywords" / "demo.yaml")], terminal_width=200
    )
    assert result.exit_code == 0
    assert "xi-protest" in result.output and "习近平 + 抗议" in result.output


def test_shipped_lists_are_valid_and_complete() -> None:
    (demo,) = load_lists([REPO / "keywords" / "demo.yaml"])
    (core,) = load_lists([REPO / "keywords" / "cn-core.yaml"])
    for loaded in (demo, core):
        assert loaded.content.controls, loaded.path
        assert all(term.note for term in loaded.content.terms), loaded.path
    categories = {term.category for term in core.content.terms}
    assert {
        "leaders",
        "protest",
        "covid",
        "hong-kong",
        "xinjiang",
        "history",
        "platform",
    } <= categories


def test_a_query_longer_than_the_platform_takes_is_refused_before_the_run(
    start_testbed, tmp_path: Path
) -> None:
    """Baidu reads 38 characters of a query: a longer term (or variant) would be cut."""
    testbed = start_testbed()
    listing = write(
        tmp_path,
        "long.yaml",
        "list: t\ndescription: test list\nlanguage: zh-Hans\nterms:\n"
        "  - {id: short, text: 六四, category: test}\n"
        "  - {id: xi, text: 习近平, category: test, variants: [pinyin_spaced]}\n"
        f"  - {{id: long, text: {'天安门' * 13}, category: test}}\n" + CONTROLS_YAML,
    )
    out = tmp_path / "results"
    args = ["run", str(listing), "--platform", "baidu", "--base-url", testbed.url]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "nothing was run" in result.output
    assert f"{listing}:7: field 'terms[2].text': the original query is 39 characters" in (
        result.output.replace("\n", "")
    )
    assert "baidu takes at most 38" in result.output.replace("\n", "")
    assert "terms[1]" not in result.output  # "xi jin ping" is 11 characters
    assert testbed.log == []
    assert not out.exists()
    # `keywords check --platform` finds it before any run is scheduled.
    checked = CliRunner().invoke(app, ["keywords", "check", str(listing), "-p", "baidu"])
    assert checked.exit_code == 1
    assert f"{listing}:7: field 'terms[2].text'" in checked.output.replace("\n", "")
    fine = CliRunner().invoke(app, ["keywords", "check", str(listing), "-p", "testbed"])
    assert fine.exit_code == 0, fine.output
    shipped = [str(REPO / "keywords" / name) for name in ("demo.yaml", "cn-core.yaml")]
    for path in shipped:
        every = [option for name in ("baidu", "wikipedia_zh") for option in ("-p", name)]
        result = CliRunner().invoke(app, ["keywords", "check", path, *every])
        assert result.exit_code == 0, result.output
