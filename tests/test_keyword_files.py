"""Hostile and broken keyword lists and profiles: a clear `file:line: field: problem`, fast.

Also the parts that keep a run's memory flat: the spool the terms stream from, the compact
key set, and the cap on how many problems one file reports.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support import REPO
from typer.testing import CliRunner

from runners.cli import app
from runners.keywords.lists import (
    MAX_ERRORS,
    Control,
    KeywordListsInvalid,
    ListHeader,
    Source,
    Term,
    load_lists,
)
from runners.keywords.spool import BLOCK
from runners.plan.planner import plan_probes
from runners.scheduling.profiles import ProfileInvalid, load_profile
from snapshots.keyset import KeySet

HEAD = "list: bad\ndescription: d\nlanguage: zh-Hans\n"
CONTROLS = "controls:\n  - {id: weather, text: 天气}\n"


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines[:levels]) + "\n"


def write(tmp_path: Path, text: str | bytes, name: str = "list.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(KeywordListsInvalid) as caught:
        load_lists([path])
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize(
    "text",
    [
        billion_laughs(),
        HEAD + "terms:\n  - &t {id: a, text: x, category: c}\n  - *t\n",
        HEAD
        + "terms:\n  - {id: a, text: &x 习近平, category: c}\n  - {id: b, text: *x, category: c}\n",
    ],
    ids=["billion-laughs", "aliased-term", "aliased-text"],
)
def test_anchors_and_aliases_are_refused_at_once(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    began = time.perf_counter()
    messages = errors_of(path)
    assert time.perf_counter() - began < 1.0
    line = 1 if text.startswith("a:") else 5
    assert messages == [
        f"{path}:{line}: YAML anchors and aliases (&name, *name) are not allowed here: "
        "write the value out"
    ]


def test_a_billion_laughs_profile_is_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "name: p\n" + billion_laughs(), "profile.yaml")
    began = time.perf_counter()
    with pytest.raises(ProfileInvalid) as caught:
        load_profile(path)
    assert time.perf_counter() - began < 1.0
    assert str(caught.value).startswith(f"{path}:2: YAML anchors and aliases")


@pytest.mark.parametrize(
    ("raw", "line", "character"),
    [
        (
            (
                HEAD
                + "terms:\n  - {id: a, text: 习近平, category: c}\n  - {id: b, text: x\0y, category: c}\n"
            ),
            6,
            "U+0000",
        ),
        (HEAD + "terms:\n  - {id: a, text: 习近\x07平, category: c}\n", 5, "U+0007"),
        (
            HEAD
            + "terms:\r\n  - {id: a, text: x, category: c}\r\n  - {id: b, text: \x7f, category: c}\r\n",
            6,
            "U+007F",
        ),
        (
            HEAD
            + "terms:\r  - {id: a, text: x, category: c}\r  - {id: b, text: \x1b[2J, category: c}\r",
            6,
            "U+001B",
        ),
    ],
    ids=["nul", "bell", "del-crlf", "escape-cr"],
)
def test_a_forbidden_character_is_named_at_its_own_line(
    tmp_path: Path, raw: str, line: int, character: str
) -> None:
    path = write(tmp_path, raw.encode())
    (message,) = errors_of(path)
    assert message.startswith(f"{path}:{line}: character {character} is not allowed in YAML")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ('{id: a, text: "\\e[31mred", category: c}', "terms[0].text"),
        ('{id: a, text: "two\\nlines", category: c}', "terms[0].text"),
        ('{id: a, all: [ok, "\\x07bell"], category: c}', "terms[0].all[1]"),
        ('{id: a, text: x, category: "\\x1b]0;title\\x07"}', "terms[0].category"),
        ('{id: a, text: x, category: c, tags: ["\\u009b"]}', "terms[0].tags[0]"),
        ('{id: a, text: x, category: c, note: "\\e[2J"}', "terms[0].note"),
    ],
)
def test_control_characters_other_than_tab_are_refused_in_terms(
    tmp_path: Path, entry: str, field: str
) -> None:
    path = write(tmp_path, HEAD + f"terms:\n  - {entry}\n" + CONTROLS)
    (message,) = errors_of(path)
    assert message.startswith(f"{path}:5: field '{field}': control character U+00")
    assert "\x1b" not in message and "\x07" not in message


def test_tab_and_multi_line_notes_are_fine(tmp_path: Path) -> None:
    body = 'terms:\n  - id: a\n    text: "tab\\there"\n    category: c\n    note: |\n      two\n      lines\n'
    (loaded,) = load_lists([write(tmp_path, HEAD + body + CONTROLS)])
    (term,) = loaded.content.terms
    assert term.text == "tab\there" and term.note == "two\nlines\n"


def test_a_control_text_with_a_control_character_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD + 'terms:\n  - {id: a, text: x, category: c}\ncontrols:\n  - {id: w, text: "\\0"}\n',
    )
    (message,) = errors_of(path)
    assert message.startswith(f"{path}:7: field 'controls[0].text': control character U+0000")


def test_show_escapes_everything_it_prints(tmp_path: Path) -> None:
    text = '"[bold red]x[/] \\u202eabc\\u200b"'
    body = f"terms:\n  - {{id: a, text: {text}, category: '[blink]c', note: \"two\\nlines\"}}\n"
    path = write(
        tmp_path, HEAD.replace("description: d", "description: '[red]d'") + body + CONTROLS
    )
    result = CliRunner().invoke(app, ["keywords", "show", str(path)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "[bold red]x[/] \\u202eabc\\u200b" in result.output  # markup shown, not applied
    assert "[blink]c" in result.output and "[red]d" in result.output
    assert "two\\nlines" in result.output
    assert "\u202e" not in result.output and "\x1b" not in result.output


def test_errors_are_printed_escaped(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + 'terms:\n  - {id: a, text: x, category: c, "\\e[2Jkey": 1}\n')
    result = CliRunner().invoke(app, ["keywords", "check", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert f"{path}:5: field 'terms[0].\\x1b[2Jkey': unknown field" in result.output


def test_check_says_when_no_list_has_controls(tmp_path: Path) -> None:
    bare = write(tmp_path, HEAD + "terms:\n  - {id: a, text: x, category: c}\n")
    result = CliRunner().invoke(app, ["keywords", "check", str(bare)])
    assert result.exit_code == 0, result.output
    assert "1 terms, no controls" in result.output
    assert "a run of these lists alone is refused" in result.output
    with_controls = CliRunner().invoke(
        app, ["keywords", "check", str(bare), str(REPO / "keywords" / "demo.yaml")]
    )
    assert with_controls.exit_code == 0 and "refused" not in with_controls.output


def test_the_readme_the_errors_point_to_documents_every_field() -> None:
    readme = (REPO / "keywords" / "README.md").read_text(encoding="utf-8")
    for model in (ListHeader, Source, Term, Control):
        for name, info in model.model_fields.items():
            assert f"`{info.alias or name}`" in readme, name
    for header in ("Isolation", "Sample", "keyword", "first_seen", "date"):
        assert f"`{header}`" in readme, header


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (HEAD + "terms: 5\n", 4, "field 'terms': `terms` is a list of entries"),
        (HEAD + "terms: []\n", 4, "field 'terms': a list needs at least one term"),
        (
            HEAD + "terms:\n  - {id: a, text: 64, category: c}\n",
            5,
            "'terms[0].text': Input should be a valid string",
        ),
        (
            HEAD + "terms:\n  - {id: a, text: x, category: c}\n" + "list: again\n",
            6,
            "key 'list' appears twice",
        ),
        (
            HEAD + "terms:\n  - {id: a, text: x, category: c}\n---\nlist: two\n",
            6,
            "expected a single document",
        ),
        (
            HEAD + "terms:\n  - {id: a, text: !!python/object:os.system x, category: c}\n",
            5,
            "is not allowed",
        ),
        (
            HEAD + "terms:\n  - {[id]: a, text: x, category: c}\n",
            5,
            "a mapping key must be a plain value",
        ),
    ],
    ids=[
        "terms-not-a-list",
        "no-terms",
        "number-as-text",
        "repeated-top-key",
        "two-documents",
        "python-tag",
        "list-as-key",
    ],
)
def test_wrong_shapes_name_their_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    messages = errors_of(path)
    assert any(m.startswith(f"{path}:{line}: ") and words in m for m in messages), messages


def test_a_syntax_error_deep_in_a_long_list_has_its_line(tmp_path: Path) -> None:
    terms = "".join(f"  - {{id: t{i}, text: 词{i}, category: c}}\n" for i in range(5000))
    path = write(tmp_path, HEAD + "terms:\n" + terms + "  - {id: x, text: [, category: c}\n")
    (message,) = errors_of(path)
    assert message.startswith(f"{path}:5005: not valid YAML")


def test_problems_of_one_file_are_capped(tmp_path: Path) -> None:
    terms = "".join(f"  - {{id: t{i}, text: x}}\n" for i in range(MAX_ERRORS + 40))
    messages = errors_of(write(tmp_path, HEAD + "terms:\n" + terms))
    assert len(messages) == MAX_ERRORS + 1
    assert messages[-1].endswith("... and 40 more problems")


def test_repeated_ids_name_the_first_line_even_across_spool_blocks(tmp_path: Path) -> None:
    terms = "".join(f"  - {{id: t{i}, text: 词{i}, category: c}}\n" for i in range(BLOCK * 3))
    path = write(
        tmp_path,
        HEAD
        + "terms:\n"
        + terms
        + "  - {id: t7, text: y, category: c}\n"
        + "controls:\n  - {id: t9, text: 天气}\n",
    )
    messages = errors_of(path)
    last = 5 + BLOCK * 3
    assert messages == [
        f"{path}:{last}: field 'terms[{BLOCK * 3}].id': duplicate id 't7' (first at line 12)",
        f"{path}:{last + 2}: field 'controls[0].id': duplicate id 't9' (first at line 14)",
    ]


def test_terms_stream_from_the_spool_to_interleaved_walks(tmp_path: Path) -> None:
    """One walk per platform at once, as the runner does: each sees every term in order."""
    count = BLOCK * 2 + 7
    terms = "".join(f"  - {{id: t{i}, text: 词{i}, category: c}}\n" for i in range(count))
    (loaded,) = load_lists([write(tmp_path, HEAD + "terms:\n" + terms + CONTROLS)])
    assert len(loaded.content.terms) == count
    one = plan_probes([loaded], "weibo", "cn")
    two = plan_probes([loaded], "baidu", "cn")
    pairs = list(zip(one, two, strict=True))
    assert [a.term.id for a, _ in pairs] == [f"t{i}" for i in range(count)]
    assert all(a.term.id == b.term.id and a.key != b.key for a, b in pairs)
    lines = [line for _, line, _ in loaded.content.terms.entries()]
    assert lines == list(range(5, 5 + count))


def test_keyset_is_a_set_of_strings() -> None:
    keys = [f"list/t{i}/original/weibo/cn" for i in range(5000)]
    done = KeySet(keys[::2])
    assert len(done) == 2500
    assert all(key in done for key in keys[::2])
    assert not any(key in done for key in keys[1::2])
    assert done.claim(keys[1]) and not done.claim(keys[1]) and len(done) == 2501
    assert 42 not in done and "" not in done


def test_a_missing_headers_file_of_a_profile_names_the_profile_line(tmp_path: Path) -> None:
    write(tmp_path, HEAD + "terms:\n  - {id: a, text: x, category: c}\n" + CONTROLS)
    profile = write(
        tmp_path,
        "name: p1\nlists: [list.yaml]\nplatforms: [testbed]\nvantage:\n  name: here\n"
        "  headers: cookies.txt\ncadence: 6h\noutput: out\n",
        "profile.yaml",
    )
    result = CliRunner().invoke(app, ["run-profile", str(profile)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        f"{profile}:6: field 'vantage.headers': cannot read {tmp_path / 'cookies.txt'}"
        in " ".join(result.output.split())
    )
    assert not (tmp_path / "out").exists()
