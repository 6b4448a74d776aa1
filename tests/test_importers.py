"""Importers: published-list formats in, valid keyword lists out, with honest reports.

The fixtures under tests/fixtures/importers/ were written for the project (see SOURCES.md
there); Citizen Lab's own files are CC BY-NC-SA and are not copied into the repository.
"""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from runners.cli import app
from runners.keywords.importers import (
    DEFAULT_CONTROLS,
    Format,
    ImportOptions,
    SourceError,
    import_bytes,
    import_file,
    term_ids,
)
from runners.keywords.lists import load_lists

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
DAY = date(2026, 11, 23)
OPTIONS = ImportOptions(retrieved=DAY)
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def parts(data: dict[str, Any]) -> list[tuple[str, ...]]:
    return [tuple(term["all"]) if "all" in term else (term["text"],) for term in data["terms"]]


def dump(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_citizenlab_rules() -> None:
    data, report = import_file(Format.CITIZENLAB_RULES, FIXTURES / "rules.txt", OPTIONS)
    assert parts(data) == [
        ("四通桥",),
        ("白纸运动", "上海"),
        ("习近平", "抗议"),
        ("动态清零",),
        ("乌鲁木齐", "火灾", "封控"),
        ("64", "事件"),
        ("６４", "事件"),  # full-width digits are a rule of their own
        ("C++ 教程",),  # a plus inside a word joins nothing
    ]
    assert data["terms"][1] == {
        "id": data["terms"][1]["id"],
        "all": ["白纸运动", "上海"],
        "category": "imported",
    }
    assert data["list"] == "citizenlab-rules-rules"
    assert data["source"] == {
        "name": "Citizen Lab, chat-censorship: Missing Links (2023)",
        "url": "https://github.com/citizenlab/chat-censorship/tree/master/search/rules",
        "retrieved": DAY,
        "licence": "CC BY-NC-SA 4.0",
        "file": "rules.txt",
    }
    assert (report.entries, report.terms, report.combinations) == (10, 8, 5)
    assert report.encoding == "UTF-8"
    ids = [term["id"] for term in data["terms"]]
    assert ids[:5] + ids[7:] == [
        "sitongqiao",
        "baizhiyundong.shanghai",
        "kangyi.xijinping",  # parts sorted: the id does not depend on their order
        "dongtaiqingling",
        "fengkong.huozai.wulumuqi",
        "c-jiaocheng",
    ]
    # 64 and ６４ (NFKC: 64) would share an id: a short hash of the text tells them apart
    assert all(re.fullmatch(r"64\.shijian-[0-9a-f]{4}", term) for term in ids[5:7])
    assert ids[5] != ids[6]
    assert report.warnings == [
        (
            11,
            "'C++ 教程' has a + without spaces: taken as one literal "
            "(write `a + b` for a combination)",
        )
    ]
    assert "  line 11: 'C++ 教程' has a + without spaces" in "\n".join(report.summary())


def test_duplicates_are_merged_and_counted() -> None:
    """An exact repeat and the same parts in another order are one rule."""
    _, report = import_file(Format.CITIZENLAB_RULES, FIXTURES / "rules.txt", OPTIONS)
    assert report.duplicates == [(7, 3), (10, 1)]
    assert "2 duplicates merged" in "\n".join(report.summary())
    assert "  line 7 repeats line 3" in report.summary()


def test_citizenlab_people_keeps_samples_as_notes() -> None:
    data, report = import_file(Format.CITIZENLAB_PEOPLE, FIXTURES / "people.csv", OPTIONS)
    assert [(term.get("text") or term["all"], term.get("note")) for term in data["terms"]] == [
        ("彭立发", "sample: 彭立发彭立發"),
        (["立发", "彭"], "sample: 彭立发"),
        ("刘晓波", "sample: 刘晓波劉曉波; 刘晓波, 诺贝尔和平奖"),  # merged, quoted comma kept
    ]
    assert {term["category"] for term in data["terms"]} == {"people"}
    assert data["source"]["url"].endswith("/search/people")
    assert (report.entries, report.terms, len(report.duplicates)) == (4, 3, 1)
    assert report.duplicates == [(5, 4)]


def test_cdt_full_width_plus_and_extra_columns() -> None:
    options = ImportOptions(retrieved=DAY, source_url="https://example.org/cdt", licence="CC BY-NC")
    data, report = import_file(Format.CDT, FIXTURES / "cdt.csv", options)
    assert [(term.get("text") or term["all"], term.get("note")) for term in data["terms"]] == [
        (["昆明", "PX"], "english: Kunming + PX (paraxylene plant protest)"),
        ("四通桥", "english: Sitong Bridge"),
        ("白纸", "english: White paper"),
    ]
    assert [term.get("first_seen") for term in data["terms"]] == [
        date(2013, 5, 4),
        date(2022, 10, 13),
        None,
    ]
    assert report.duplicates == [(4, 2)]  # PX＋昆明 is 昆明＋PX
    assert data["list"] == "cdt-cdt"
    assert data["source"] == {
        "name": "China Digital Times",
        "url": "https://example.org/cdt",
        "retrieved": DAY,
        "licence": "CC BY-NC",
        "file": "cdt.csv",
    }


def test_lines_skip_comments_and_blanks_and_do_not_split() -> None:
    data, report = import_file(Format.LINES, FIXTURES / "lines-with-comments.txt", OPTIONS)
    assert parts(data) == [("四通桥",), ("白纸运动",), ("动态清零",), ("习近平 + 抗议",)]
    assert report.duplicates == [(8, 2)]
    assert data["source"] == {
        "name": "lines-with-comments.txt",
        "retrieved": DAY,
        "file": "lines-with-comments.txt",
    }
    assert "licence: not stated" in "\n".join(report.summary())


def test_lines_on_an_excerpt_of_a_published_lexicon() -> None:
    options = ImportOptions(retrieved=DAY, licence="MIT", category="leaders")
    data, report = import_file(Format.LINES, FIXTURES / "sensitive-lexicon-political.txt", options)
    texts = [term["text"] for term in data["terms"]]
    assert texts[:3] == ["习近平", "平近习", "xjp"] and len(texts) == 12
    assert report.duplicates == [(13, 1)]
    assert {term["category"] for term in data["terms"]} == {"leaders"}
    assert data["source"]["licence"] == "MIT"


def test_default_list_id_from_a_chinese_file_name() -> None:
    data, _ = import_bytes(Format.LINES, "习近平\n".encode(), "政治类型.txt", OPTIONS)
    assert data["list"] == "zheng-zhi-lei-xing"
    data, _ = import_bytes(Format.LINES, "习近平\n".encode(), "COVID-19词库.txt", OPTIONS)
    assert data["list"] == "covid-19-ci-ku"


@pytest.mark.parametrize("fmt", list(Format))
def test_every_format_passes_the_schema_with_controls(fmt: Format, tmp_path: Path) -> None:
    source = {
        Format.CITIZENLAB_RULES: "rules.txt",
        Format.CITIZENLAB_PEOPLE: "people.csv",
        Format.CDT: "cdt.csv",
        Format.LINES: "lines-with-comments.txt",
    }[fmt]
    data, report = import_file(fmt, FIXTURES / source, OPTIONS)
    (loaded,) = load_lists([dump(data, tmp_path / "out.yaml")])
    assert [control.text for control in loaded.content.controls] == list(DEFAULT_CONTROLS)
    assert report.controls == DEFAULT_CONTROLS
    assert len(loaded.content.terms) == report.terms
    assert loaded.content.source is not None and loaded.content.source.retrieved == DAY
    assert all(ID.match(term.id) for term in loaded.content.terms)


def test_no_controls_is_said() -> None:
    data, report = import_file(
        Format.LINES, FIXTURES / "rules.txt", ImportOptions(retrieved=DAY, controls=False)
    )
    assert "controls" not in data
    assert "no controls added" in "\n".join(report.summary())


def test_ids_are_stable_unique_and_independent_of_order(tmp_path: Path) -> None:
    path = FIXTURES / "rules.txt"
    first, _ = import_file(Format.CITIZENLAB_RULES, path, OPTIONS)
    again, _ = import_file(Format.CITIZENLAB_RULES, path, OPTIONS)
    assert [t["id"] for t in first["terms"]] == [t["id"] for t in again["terms"]]
    lines = path.read_text(encoding="utf-8").splitlines()
    random.Random(4).shuffle(lines)
    shuffled, _ = import_bytes(
        Format.CITIZENLAB_RULES, "\n".join(lines).encode(), str(path), OPTIONS
    )
    by_id = {t["id"]: set(t.get("all") or [t["text"]]) for t in first["terms"]}
    assert {t["id"]: set(t.get("all") or [t["text"]]) for t in shuffled["terms"]} == by_id
    ids = [t["id"] for t in first["terms"]] + [c["id"] for c in first["controls"]]
    assert len(set(ids)) == len(ids)


def test_two_imported_lists_load_together(tmp_path: Path) -> None:
    """Both lists hold 四通桥 (id sitongqiao): ids are per list, keys carry the list id."""
    one, _ = import_file(Format.CITIZENLAB_RULES, FIXTURES / "rules.txt", OPTIONS)
    two, _ = import_file(Format.LINES, FIXTURES / "lines-with-comments.txt", OPTIONS)
    assert "sitongqiao" in {t["id"] for t in one["terms"]} & {t["id"] for t in two["terms"]}
    loaded = load_lists([dump(one, tmp_path / "one.yaml"), dump(two, tmp_path / "two.yaml")])
    assert [item.content.id for item in loaded] == ["citizenlab-rules-rules", "lines-with-comments"]


def test_term_ids_are_pinyin_with_a_hash_only_for_ties() -> None:
    terms = [("六四",), ("柳丝",), ("习近平",), ("抗议", "习近平"), ("🕯",), ("Tank Man",)]
    ids = term_ids(terms)
    assert ids[2:4] == ["xijinping", "kangyi.xijinping"]
    assert ids[5] == "tank-man"
    assert ids[0].startswith("liusi-") and ids[1].startswith("liusi-") and ids[0] != ids[1]
    assert re.fullmatch(r"t-[0-9a-f]{4}", ids[4])  # nothing to spell: a hash
    assert all(ID.match(term) for term in ids)
    assert term_ids(reversed(terms)) == list(reversed(ids))  # the set decides, not the order
    assert term_ids([("天气",)], prefix="control-") == ["control-tianqi"]
    long = [("长" * 100,), ("长" * 100 + "城",)]  # the same first 60 characters of pinyin
    assert [len(term) for term in term_ids(long)] == [65, 65]


def test_rules_skip_comments_and_warn_about_a_glued_plus() -> None:
    raw = "# Citizen Lab rules, baidu\n四通桥\n  # indented comment\n习近平+抗议\n白纸 + 上海\n"
    data, report = import_bytes(Format.CITIZENLAB_RULES, raw.encode(), "r.txt", OPTIONS)
    assert parts(data) == [("四通桥",), ("习近平+抗议",), ("白纸", "上海")]
    assert [line for line, _ in report.warnings] == [4]
    assert "taken as one literal" in report.warnings[0][1]
    people = "Isolation,Sample\n彭+立发,彭立发\n".encode()
    _, report = import_bytes(Format.CITIZENLAB_PEOPLE, people, "p.csv", OPTIONS)
    assert [line for line, _ in report.warnings] == [2]


def test_cdt_dates_are_data_in_any_common_form() -> None:
    raw = "keyword,date,english\n四通桥,2022年10月13日,Sitong\n白纸,2022.11.27,\n白纸,2022-11-26,\n"
    data, _ = import_bytes(Format.CDT, raw.encode(), "cdt.csv", OPTIONS)
    assert [(t["text"], t.get("first_seen"), t.get("note")) for t in data["terms"]] == [
        ("四通桥", date(2022, 10, 13), "english: Sitong"),
        ("白纸", date(2022, 11, 26), None),  # merged: the earliest date
    ]


TEXT = "四通桥\n习近平 + 抗议\n动态清零\n"


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (TEXT.encode("utf-8-sig"), "UTF-8 with BOM"),
        (TEXT.encode("utf-16"), "UTF-16"),  # with its BOM
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "UTF-16"),
        (TEXT.encode("gb18030"), "GB18030"),
        (TEXT.replace("\n", "\r\n").encode("gb18030"), "GB18030"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "gb18030", "gb18030-crlf"],
)
def test_encodings(raw: bytes, encoding: str) -> None:
    data, report = import_bytes(Format.CITIZENLAB_RULES, raw, "r.txt", OPTIONS)
    assert parts(data) == [("四通桥",), ("习近平", "抗议"), ("动态清零",)]
    assert report.encoding == encoding
    assert f"as {encoding}:" in report.summary()[0]


def test_csv_with_bom_reads_its_header() -> None:
    raw = "Isolation,Sample\n习明泽,习明泽習明澤\n".encode("utf-8-sig")
    data, report = import_bytes(Format.CITIZENLAB_PEOPLE, raw, "p.csv", OPTIONS)
    assert parts(data) == [("习明泽",)] and report.encoding == "UTF-8 with BOM"


@pytest.mark.parametrize(
    ("fmt", "raw", "line", "words"),
    [
        (Format.CITIZENLAB_RULES, b"abc\ndef\n\xff\xfe\xfd ok\n", 3, "cannot read as GB18030"),
        (Format.CITIZENLAB_RULES, "四通桥\n白纸 +  + 上海\n".encode(), 2, "empty part"),
        (Format.CITIZENLAB_RULES, "四通桥\n\n白纸 +\n".encode(), 3, "empty part"),
        (Format.CDT, "keyword\n昆明＋＋PX\n".encode(), 2, "empty part"),
        (Format.CITIZENLAB_PEOPLE, "Isolation,Sample\n立发 + ,彭立发\n".encode(), 2, "empty part"),
        (Format.CITIZENLAB_PEOPLE, "Isolation,Sample\n彭立发,a,b\n".encode(), 2, "3 fields"),
        (Format.CITIZENLAB_PEOPLE, "Name,Sample\n彭立发,a\n".encode(), 1, "`isolation`"),
        (Format.CDT, "word,english\n白纸,White paper\n".encode(), 1, "`keyword`"),
        (Format.LINES, ("习近平\n" + "长" * 2001 + "\n").encode(), 2, "text:"),
        (Format.LINES, b"# only a comment\n\n", 1, "no keywords found"),
        (Format.CITIZENLAB_RULES, b"# a comment\n# and another\n", 1, "no keywords found"),
        (Format.LINES, b"\xef\xbb\xbf" + "四通桥\n白纸\n".encode() + b"\xe4\xb9\n", 3, "byte 0xe4"),
        (Format.LINES, "四通桥\r白纸\r抗议\r".encode() + b"\xe4\xb9\r", 4, "as UTF-8"),
        (Format.LINES, b"abc\rdef\r\n\xff\xfe\xfd ok\r", 3, "as GB18030 (byte 0xff)"),
        (Format.LINES, "习近平\n四通\x00桥\n".encode(), 2, "control character U+0000"),
        (Format.CDT, "keyword,first_seen\n四通桥,yesterday\n".encode(), 2, "'yesterday' is not"),
        (
            Format.CDT,
            ("keyword,english\n白纸,x\n" + "长" * 200_000 + ",x\n").encode(),
            3,
            "a field longer than 131,072 characters",
        ),
        (Format.CITIZENLAB_PEOPLE, b"Isolation,Sample\n\xe5\xbd\xad,\x00\n", 2, "note: control"),
    ],
    ids=[
        "undecodable",
        "empty-middle-part",
        "trailing-plus",
        "cdt-empty-part",
        "people-empty-part",
        "people-extra-field",
        "people-no-header",
        "cdt-no-header",
        "too-long",
        "empty",
        "rules-only-comments",
        "bom-utf8-byte-line",
        "cr-line-endings",
        "cr-lf-mixed-gb18030",
        "nul-in-a-term",
        "cdt-bad-date",
        "csv-200kb-field",
        "csv-nul",
    ],
)
def test_bad_source_names_file_and_line(fmt: Format, raw: bytes, line: int, words: str) -> None:
    with pytest.raises(SourceError) as caught:
        import_bytes(fmt, raw, "lists/bad.txt", OPTIONS)
    assert caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"lists/bad.txt:{line}: ")
    assert words in caught.value.message


def test_damaged_utf8_is_an_error_not_gb18030_garbage() -> None:
    """These bytes also decode as GB18030 (as 鎶楄...); mostly-UTF-8 text is read as UTF-8."""
    raw = "抗议\n六四\n".encode() + b"\xe4\xb9\n" + "白纸\n".encode()
    assert raw.decode("gb18030").startswith("鎶楄")
    with pytest.raises(SourceError) as caught:
        import_bytes(Format.LINES, raw, "broken.txt", OPTIONS)
    assert str(caught.value) == "broken.txt:3: cannot read as UTF-8 (byte 0xe4); save it as UTF-8"


def test_bad_option_is_not_blamed_on_the_source() -> None:
    with pytest.raises(ValueError, match="^list: ") as caught:
        import_bytes(Format.LINES, "习近平\n".encode(), "l.txt", ImportOptions(list_id="../x"))
    assert not isinstance(caught.value, SourceError)


def test_cli_import_then_check(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rules.yaml"
    args = ["keywords", "import", "citizenlab-rules", str(FIXTURES / "rules.txt"), "-o", str(out)]
    result = runner.invoke(app, [*args, "--list-id", "cl-test", "--retrieved", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "8 terms (5 combinations), 2 duplicates merged" in result.output
    assert "added 3 benign controls (天气, 牛肉面, 足球)" in result.output
    assert f"wrote {out}" in result.output
    text = out.read_text(encoding="utf-8")
    assert "白纸运动" in text  # written as UTF-8, not \u escapes
    first = yaml.safe_load(text)
    assert first["list"] == "cl-test" and first["source"]["retrieved"] == date(2026, 11, 1)
    check = runner.invoke(app, ["keywords", "check", str(out)])
    assert check.exit_code == 0, check.output
    assert "8 terms, 3 controls" in check.output
    again = runner.invoke(app, [*args, "--list-id", "cl-test", "--no-controls"])
    assert again.exit_code == 0, again.output
    second = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [t["id"] for t in second["terms"]] == [t["id"] for t in first["terms"]]
    assert "controls" not in second


def test_cli_creates_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "rules.yaml"
    args = [
        "keywords",
        "import",
        "lines",
        str(FIXTURES / "lines-with-comments.txt"),
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert load_lists([out])[0].content.id == "lines-with-comments"


def test_cli_error_names_file_and_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.txt"
    source.write_text("四通桥\n[/b] +  + 上海\n", encoding="utf-8")  # not read as markup
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(
        app, ["keywords", "import", "citizenlab-rules", str(source), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert f"{source}:2: empty part in '[/b] +  + 上海'" in result.output
    assert not out.exists()
