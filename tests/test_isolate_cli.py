"""``censorprobe isolate`` and ``isolate_snapshot`` against the real testbed, through the Prober."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from support import CONTROLS_YAML, cli, run_probes
from typer.testing import CliRunner

from runners.cli.isolate import isolate_command
from runners.isolation.driver import ISOLATIONS, isolate_snapshot
from runners.plan.config import RunConfig
from testbed import Action, Fault, Rule, RuleBook

RULES = RuleBook(
    (
        Rule(parts=("习近平", "抗议")),
        Rule(parts=("你", "你的屄")),
        Rule(parts=("六四", "天安门", "坦克")),
        Rule(parts=("带来", "调整", "整体")),  # overlapping parts in 带来…调整体
    )
)
#: Quick faults only (no slow answers, no login wall, which is not retried).
QUICK_FAULTS = (Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.CAPTCHA, Fault.RESET, Fault.TRUNCATE)

_app = typer.Typer()
_app.command()(isolate_command)


def isolate(*args: str) -> tuple[int, str]:
    """Run the command in-process (the lead registers it in ``runners.cli``)."""
    result = CliRunner().invoke(_app, ["--backoff", "0.01", "--timeout", "5", *args])
    return result.exit_code, result.output


def queries_sent(testbed) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for entry in testbed.log if entry["query"] is not None)


def probed_snapshot(testbed, tmp_path: Path, terms: str) -> tuple[Path, RunConfig]:  # type: ignore[no-untyped-def]
    """A finished run of ``terms`` (YAML list items) against the testbed, and its config."""
    listing = tmp_path / "l.yaml"
    head = "list: t\ndescription: test list\nlanguage: zh-Hans\nterms:\n"
    listing.write_text(head + terms + CONTROLS_YAML, encoding="utf-8")
    folder = run_probes([listing], testbed.url, tmp_path / "results")
    config = RunConfig(
        lists=[listing],
        platforms=["testbed"],
        base_urls={"testbed": testbed.url},
        rate=0,
        backoff=0.01,
        timeout=5,
    )
    return folder, config


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("昨天习近平在北京说到抗议的事情", ("习近平", "抗议")),
        ("我想看你的屄照片", ("你的屄",)),  # 你 lies inside 你的屄: it cannot be told apart
        ("回忆六四那天天安门广场上的坦克车", ("六四", "天安门", "坦克")),
        ("这次改革带来了调整体制的机会", ("带来", "调整", "整体")),
    ],
)
def test_finds_the_rule_and_counts_every_query(start_testbed, text, trigger) -> None:
    testbed = start_testbed(rules=RULES)
    code, output = isolate("--platform", "testbed", "--base-url", testbed.url, "--json", text)
    assert code == 0, output
    result = json.loads(output)
    assert result["trigger"] == list(trigger)
    assert result["platform"] == "testbed"
    assert result["text_length"] == len(text)
    # Every oracle call and the re-check is one request; isolation sends no controls.
    assert result["queries"] == queries_sent(testbed)
    assert testbed.log[-1]["query"] == " ".join(trigger)  # the re-check, joined by the separator
    assert testbed.log[-1]["answer"] != "results"


def test_plain_output_and_file(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    path = tmp_path / "text.txt"
    path.write_text("昨天习近平在北京说到抗议的事情\n", encoding="utf-8")
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--file", str(path))
    assert code == 0, output
    assert "trigger: 习近平 + 抗议" in output
    assert f"queries: {queries_sent(testbed)}" in output


def test_not_censored_is_one_query(start_testbed) -> None:
    testbed = start_testbed(rules=RULES)
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "今天天气很好适合吃牛肉面")
    assert code == 0, output
    assert "not censored" in output and "queries: 1" in output
    assert queries_sent(testbed) == 1
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--json", "天气")
    assert json.loads(output)["trigger"] is None and json.loads(output)["queries"] == 1


def test_budget_stops_clearly(start_testbed) -> None:
    testbed = start_testbed(rules=RULES)
    text = "回忆六四那天天安门广场上的坦克车"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--budget", "3", text)
    assert code == 1
    assert "after 3" in output and "budget is 3" in output
    assert "trigger:" not in output and "not censored" not in output
    assert queries_sent(testbed) == 3


def test_an_error_stops_the_isolation(start_testbed) -> None:
    testbed = start_testbed(rules=RULES, fault_rate=1.0, faults=(Fault.CAPTCHA,))
    text = "昨天习近平在北京说到抗议的事情"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--max-attempts", "2", text)
    assert code == 1
    assert "captcha" in output and "isolation stopped" in output
    assert "trigger:" not in output and "not censored" not in output
    assert queries_sent(testbed) == 2  # the first query, retried once, then nothing more


def test_errors_never_become_answers_in_json_mode(start_testbed) -> None:
    testbed = start_testbed(rules=RULES, fault_rate=1.0, faults=(Fault.CAPTCHA,))
    code, output = isolate(
        "-p", "testbed", "--base-url", testbed.url, "--max-attempts", "1", "--json", "习近平抗议"
    )
    assert code == 1 and '"trigger"' not in output


def test_retries_keep_the_trigger_under_faults(start_testbed) -> None:
    testbed = start_testbed(rules=RULES, fault_rate=0.3, faults=QUICK_FAULTS, seed=5, retry_after=0)
    text = "回忆六四那天天安门广场上的坦克车"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--json", text)
    assert code == 0, output
    assert json.loads(output)["trigger"] == ["六四", "天安门", "坦克"]
    assert any(entry["answer"].startswith("fault:") for entry in testbed.log)


def test_usage_errors() -> None:
    code, output = isolate("-p", "testbed")
    assert code == 1 and "TEXT" in output
    code, output = isolate("-p", "nosuchplatform", "x")
    assert code == 1 and "nosuchplatform" in output


def test_snapshot_isolations_are_written_and_resumable(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder, config = probed_snapshot(
        testbed,
        tmp_path,
        """\
  - {id: combo, all: [习近平, 抗议], category: test}
  - {id: long, text: 今天我们讨论六四天安门坦克的事情, category: test}
  - {id: short, text: 你的屄, category: test}
  - {id: visible, all: [天气, 牛肉面], category: test}
""",
    )
    before = queries_sent(testbed)
    written = asyncio.run(isolate_snapshot(folder, config, budget=100))
    lines = (folder / ISOLATIONS).read_text(encoding="utf-8").splitlines()
    records = {record["key"].split("/")[1]: record for record in map(json.loads, lines)}
    assert len(written) == len(lines) == 2
    assert records["combo"]["trigger"] == ["习近平", "抗议"]
    assert records["combo"]["query"] == "习近平 抗议"
    assert records["long"]["trigger"] == ["六四", "天安门", "坦克"]
    assert all(record["error"] is None for record in records.values())
    assert sum(record["queries"] for record in records.values()) == queries_sent(testbed) - before
    # Resumable: a second pass sends nothing and writes nothing.
    again = queries_sent(testbed)
    assert asyncio.run(isolate_snapshot(folder, config)) == []
    assert queries_sent(testbed) == again
    assert len((folder / ISOLATIONS).read_text(encoding="utf-8").splitlines()) == 2


def test_snapshot_isolations_reuse_the_triggers_found(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder, config = probed_snapshot(
        testbed,
        tmp_path,
        """\
  - {id: a, all: [习近平, 抗议, 北京], category: test}
  - {id: b, all: [上海, 习近平, 抗议], category: test}
  - {id: c, text: 回忆六四那天天安门广场前的坦克车, category: test}
  - {id: d, all: [习近平说, 抗议活动], category: test}
  - {id: e, text: 昨天习近平在北京说到抗议的事情, category: test}
""",
    )
    before = queries_sent(testbed)
    written = asyncio.run(isolate_snapshot(folder, config))
    records = {record["key"].split("/")[1]: record for record in written}
    assert {key: tuple(record["trigger"]) for key, record in records.items()} == {
        "a": ("习近平", "抗议"),
        "b": ("习近平", "抗议"),
        "c": ("六四", "天安门", "坦克"),
        "d": ("习近平", "抗议"),
        "e": ("习近平", "抗议"),
    }
    # a declares its parts: one query per part (each dropped in turn), the combination itself
    # being censored already (its observation).
    assert records["a"]["queries"] == 3 and records["a"]["declared"]
    assert records["c"]["queries"] > 5 and not records["c"]["declared"]
    # The trigger found for a is asked first for b and d, and censors them: one query each.
    assert records["b"]["queries"] == records["d"]["queries"] == records["e"]["queries"] == 1
    assert [records[key]["reused"] for key in "abcde"] == [False, True, False, True, True]
    assert sum(record["queries"] for record in written) == queries_sent(testbed) - before
    assert {record["judged"] for record in written} == {"notice"}
    # A later pass takes them from isolations.jsonl, as found at another time: a text (e) that
    # holds one is checked again (one query per part, two per part's ends): 1 + 3 * 2 queries.
    (folder / ISOLATIONS).write_text(
        "".join(
            json.dumps(record, ensure_ascii=False) + "\n"
            for record in written
            if record["key"].split("/")[1] != "e"
        ),
        encoding="utf-8",
    )
    (again,) = asyncio.run(isolate_snapshot(folder, config))
    assert again["trigger"] == ["习近平", "抗议"] and again["queries"] == 7 and again["reused"]


def test_known_triggers_from_a_file(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    known = tmp_path / "isolations.jsonl"
    records = [
        {"key": "t/a/original/testbed/-", "platform": "testbed", "trigger": ["习近平", "抗议"]},
        {"key": "t/b/original/weibo/-", "platform": "weibo", "trigger": ["昨天"]},
        {"key": "t/c/original/testbed/-", "platform": "testbed", "trigger": None},
    ]
    known.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    text = "昨天习近平在北京说到抗议的事情"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--known", str(known), text)
    assert code == 0, output
    assert "trigger: 习近平 + 抗议 (found before, in --known)" in output and "queries: 7" in output
    asked = [entry["query"] for entry in testbed.log]
    assert asked[0] == "习近平 抗议" and "昨天" not in asked  # 昨天 was found on weibo
    smaller = ["抗议", "习近平", "近平 抗议", "习近 抗议", "习近平 议", "习近平 抗"]
    assert len(asked) == 7
    assert {frozenset(query.split()) for query in asked[1:]} == {
        frozenset(query.split()) for query in smaller
    }
    # A torn last line is left out; a bad record anywhere else is an error naming it.
    with known.open("a", encoding="utf-8") as out:
        out.write('{"key": "t/d/orig')
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--known", str(known), text)
    assert code == 0, output
    known.write_text(json.dumps(records[0]) + '\n{"platform": "testbed", "trigger": "六四"}\n')
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--known", str(known), text)
    assert code == 1 and f"{known}:2: field 'trigger'" in output.replace("\n", "")
    assert queries_sent(testbed) == 14


def test_only_the_way_the_text_is_censored_counts(start_testbed) -> None:
    """The text shows zero results (白纸's rule comes first); a shorter query showing the notice
    of 习近平 + 抗议 is another rule, not the one that hides this text."""
    rules = RuleBook(
        (
            Rule(parts=("白纸",), action=Action.ZERO_RESULTS),
            Rule(parts=("习近平", "抗议"), action=Action.NOTICE),
        )
    )
    testbed = start_testbed(rules=rules)
    both = "白纸运动里习近平说抗议"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--json", both)
    assert code == 0, output
    result = json.loads(output)
    assert (result["trigger"], result["signal"]) == (["白纸"], "zero_results")
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "习近平说抗议")
    assert code == 0, output
    assert "trigger: 习近平 + 抗议" in output and "signal: notice" in output


def test_queries_longer_than_the_platform_takes_are_never_sent(start_testbed) -> None:
    from probes.platforms.testbed import TestbedAdapter
    from runners.execution.prober import Prober
    from runners.isolation.driver import IsolationError, isolate_text

    class ShortQueries(TestbedAdapter):
        max_query_length = 12

    testbed = start_testbed(rules=RULES)
    config = RunConfig(lists=[], platforms=["testbed"], rate=0, backoff=0.01, timeout=5)

    async def run(text: str):  # type: ignore[no-untyped-def]
        async with Prober(ShortQueries(base_url=testbed.url), config) as prober:
            return await isolate_text(text, prober)

    # Longer texts are isolated by windows of 12 characters.
    result = asyncio.run(run("昨天习近平在北京说到抗议的事情"))
    assert result.trigger == ("习近平", "抗议")
    assert result.queries == queries_sent(testbed)
    assert max(len(entry["query"]) for entry in testbed.log) <= 12
    assert asyncio.run(run("习近平说抗议")).trigger == ("习近平", "抗议")
    # Parts further apart than a window: pairs of chunks of 5 characters (12, less a space).
    result = asyncio.run(run("习近平今天在北京大学说了很多话然后抗议"))
    assert result.trigger == ("习近平", "抗议")
    assert max(len(entry["query"]) for entry in testbed.log) <= 12
    # Parts in three chunks: no query that fits can hold them all.
    with pytest.raises(IsolationError, match="three chunks or more") as raised:
        asyncio.run(run("六四今天在北京大学说天安门很多话然后坦克"))
    assert raised.value.kind == "spread"
    assert max(len(entry["query"]) for entry in testbed.log) <= 12


def test_snapshot_records_errors_and_budget(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder, config = probed_snapshot(
        testbed,
        tmp_path,
        """\
  - {id: combo, all: [习近平, 抗议], category: test}
""",
    )
    (record,) = asyncio.run(isolate_snapshot(folder, config, budget=1))
    assert record["trigger"] is None and "budget is 1" in record["error"]
    assert record["queries"] == 1


def test_registered_command_runs_as_a_subprocess(start_testbed) -> None:
    from runners.cli import app

    names = {command.name for command in app.registered_commands}
    if "isolate" not in names:
        pytest.skip("`isolate` is not registered in runners.cli yet")
    testbed = start_testbed(rules=RULES)
    result = cli("isolate", "-p", "testbed", "--base-url", testbed.url, "习近平说抗议", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["trigger"] == ["习近平", "抗议"]


@pytest.mark.parametrize("seed", range(8))
def test_faults_end_in_the_trigger_or_an_error_never_a_wrong_answer(start_testbed, seed) -> None:
    testbed = start_testbed(
        rules=RULES, fault_rate=0.3, faults=QUICK_FAULTS, seed=seed, retry_after=0
    )
    text = "这次改革带来了调整体制的机会"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--max-attempts", "3", text)
    if code == 0:
        assert "trigger: 带来 + 调整 + 整体" in output
    else:
        assert code == 1 and "isolation stopped" in output and "trigger:" not in output


class _FlipAtRecheck:
    """A pacer that moves the testbed to epoch 2 (where the rule is lifted) before request N."""

    def __init__(self, testbed, at: int) -> None:  # type: ignore[no-untyped-def]
        self.testbed, self.at, self.count = testbed, at, 0

    async def acquire(self) -> None:
        self.count += 1
        if self.count == self.at:
            self.testbed.set_epoch(2)

    def pause_until(self, monotonic_deadline: float) -> None:
        pass


@pytest.mark.parametrize(
    ("text", "rechecked"),
    [
        # The last part ends the text: the trigger is inferred, never asked; it is re-checked.
        ("昨天习近平在北京说到抗议", True),
        # The search ends by asking the trigger itself: a re-check would repeat that query.
        ("昨天习近平在北京说到抗议的事情", False),
    ],
)
def test_a_platform_that_changes_its_answer_ends_in_an_error(
    start_testbed, text: str, rechecked: bool
) -> None:
    from probes.platforms.testbed import TestbedAdapter
    from runners.execution.prober import Prober
    from runners.isolation.driver import IsolationError, isolate_text
    from runners.isolation.search import isolate as isolate_pure

    rule = ("习近平", "抗议")
    testbed = start_testbed(rules=RuleBook((Rule(parts=rule, epochs=frozenset({1})),)))
    config = RunConfig(lists=[], platforms=["testbed"], rate=0, backoff=0.01, timeout=5)

    async def run(pacer: _FlipAtRecheck | None):  # type: ignore[no-untyped-def]
        adapter = TestbedAdapter(base_url=testbed.url)
        async with Prober(adapter, config, keep_exchanges=False, pacer=pacer) as prober:
            return await isolate_text(text, prober)

    result = asyncio.run(run(None))
    search = isolate_pure(text, lambda query: all(any(p in f for f in query) for p in rule))
    assert result.trigger == search.trigger == rule
    assert result.queries == search.calls + rechecked == queries_sent(testbed)
    # The rule is lifted just before the last query: whichever it is, the isolation must end in
    # an error, never in a trigger.
    with pytest.raises(IsolationError, match="inconsistent") as raised:
        asyncio.run(run(_FlipAtRecheck(testbed, at=result.queries)))
    if rechecked:
        assert raised.value.calls == result.queries


@pytest.mark.parametrize(
    ("personality", "platform"),
    [("weibo", "weibo"), ("baidu", "baidu"), ("bing", "bing_cn"), ("bilibili", "bilibili")],
)
def test_isolation_through_real_adapters(start_testbed, personality: str, platform: str) -> None:
    """Each platform's adapter reads its personality's pages (notice, or nothing found on
    Bilibili, which shows no notice) as the oracle's answers."""
    rule = Rule(parts=("习近平", "抗议"), action=Action.NOTICE)
    testbed = start_testbed(rules=RuleBook((rule,)), personality=personality)
    text = "昨天习近平在北京说到抗议的事情，很多人都看到了"  # within Baidu's 38 characters
    code, output = isolate("-p", platform, "--base-url", testbed.url, "--rate", "0", "--json", text)
    assert code == 0, output
    result = json.loads(output)
    assert result["trigger"] == ["习近平", "抗议"]
    assert result["signal"] in {"notice", "partial_notice", "zero_results"}
    assert result["queries"] == queries_sent(testbed)


def test_the_testbed_reads_queries_of_any_length_by_get_and_post(start_testbed) -> None:
    """5,000 Chinese characters are about 45,000 bytes of request line, past aiohttp's 8,190."""
    import httpx

    testbed = start_testbed(rules=RULES)
    long = "天气很好" * 1250 + "习近平抗议"
    answer = httpx.get(f"{testbed.url}/search", params={"q": long}, timeout=10)
    assert answer.status_code == 200 and 'class="notice"' in answer.text
    posted = httpx.post(f"{testbed.url}/search", data={"q": long}, timeout=10)
    assert posted.status_code == 200 and 'class="notice"' in posted.text
    assert [entry["method"] for entry in testbed.log] == ["GET", "POST"]
    assert all(entry["query"] == long for entry in testbed.log)
    baidu = start_testbed(rules=RULES, personality="baidu")
    refused = httpx.post(f"{baidu.url}/s", data={"wd": "习近平抗议"}, timeout=10)
    assert refused.status_code == 404  # Baidu's search is a GET: a form is not read


def test_a_text_of_five_thousand_characters_is_isolated(start_testbed) -> None:
    testbed = start_testbed(rules=RULES)
    text = "今天天气很好适合出门" * 250 + "回忆六四那天" + "大家一起吃牛肉面" * 200 + "坦克天安门"
    assert len(text) > 4000
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--json", text)
    assert code == 0, output
    assert json.loads(output)["trigger"] == ["六四", "坦克", "天安门"]


def test_silent_censorship_is_judged_inside_the_truism(start_testbed) -> None:
    """On the testbed's index a long odd fragment finds nothing by itself: read as a silent
    signal, it would pass for the rule. Inside the truism, it finds results: not censored."""
    rules = RuleBook((Rule(parts=("白纸", "抗议"), action=Action.ZERO_RESULTS),))
    testbed = start_testbed(rules=rules, index=True)
    text = "昨天白纸运动里有人说到抗议的事情"
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--json", text)
    assert code == 0, output
    result = json.loads(output)
    assert result["trigger"] == ["白纸", "抗议"]
    assert (result["signal"], result["judged"]) == ("zero_results", "truism")
    asked = [entry["query"] for entry in testbed.log]
    assert result["queries"] == len(asked)
    assert asked[0] == text and asked[1] == "的"  # the text, then the truism alone, once
    assert asked.count("的") == 1
    assert all(query.endswith(" OR 的") for query in asked[2:])
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, text)
    assert "judged: inside the platform's truism (exact)" in output


def test_notice_based_isolations_say_so(start_testbed) -> None:
    testbed = start_testbed(rules=RULES, index=True)
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "昨天习近平说到抗议")
    assert code == 0, output
    assert "judged: by the platform's notice (exact)" in output
    assert not any(" OR " in entry["query"] for entry in testbed.log)


def test_progress_is_told_of_every_query(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder, config = probed_snapshot(
        testbed,
        tmp_path,
        """\
  - {id: long, text: 今天我们讨论六四天安门坦克的事情, category: test}
  - {id: combo, all: [习近平, 抗议, 北京], category: test}
""",
    )
    told: list[tuple[str, int, int | None]] = []
    written = asyncio.run(
        isolate_snapshot(folder, config, 50, progress=lambda *seen: told.append(seen))
    )
    for record in written:
        mine = [(queries, budget) for key, queries, budget in told if key == record["key"]]
        assert mine == [(n, 50) for n in range(1, record["queries"] + 1)]


def test_declared_parts_are_trimmed_when_asked(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    folder, config = probed_snapshot(
        testbed, tmp_path, "  - {id: d, all: [习近平说, 北京, 抗议活动], category: test}\n"
    )
    (plain,) = asyncio.run(isolate_snapshot(folder, config))
    assert plain["trigger"] == ["习近平说", "抗议活动"] and plain["queries"] == 3
    assert plain["declared"]
    (folder / ISOLATIONS).unlink()
    (trimmed,) = asyncio.run(isolate_snapshot(folder, config, trim=True))
    assert trimmed["trigger"] == ["习近平", "抗议"] and not trimmed["declared"]


def test_priors_files_are_read_and_bad_ones_named(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    rules = tmp_path / "rules.txt"
    rules.write_text("习近平 + 抗议\n六四\n", encoding="utf-8")
    text = "昨天习近平在北京说到抗议的事情"
    args = ("-p", "testbed", "--base-url", testbed.url, "--json", "--priors", str(rules))
    code, output = isolate(*args, text)
    assert code == 0, output
    assert json.loads(output)["trigger"] == ["习近平", "抗议"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("list: x\nterms: [{id: 1}]\n", encoding="utf-8")
    code, output = isolate("-p", "testbed", "--base-url", testbed.url, "--priors", str(bad), text)
    assert code == 1 and "bad.yaml" in output


def test_rate_zero_is_refused_off_loopback_before_any_query(start_testbed) -> None:
    # No request can leave: the check comes before any query (the refusal names the endpoint).
    code, output = isolate("--platform", "bing", "--rate", "0", "习近平抗议")
    assert code == 1 and "only for loopback" in output and "www.bing.com" in output, output
    code, output = isolate("--platform", "bing", "--rate", "5", "习近平抗议")
    assert code == 1 and "--faster-than-polite" in output, output
    testbed = start_testbed(rules=RULES)
    code, output = isolate(
        "--platform", "testbed", "--base-url", testbed.url, "--rate", "0", "习近平抗议"
    )
    assert code == 0 and "trigger: 习近平 + 抗议" in output, output


def test_a_long_text_tries_the_triggers_found_before_first(start_testbed) -> None:
    from probes.platforms.testbed import TestbedAdapter
    from runners.execution.prober import Prober
    from runners.isolation.driver import isolate_text

    class ShortQueries(TestbedAdapter):
        max_query_length = 12

    testbed = start_testbed(rules=RULES)
    config = RunConfig(lists=[], platforms=["testbed"], rate=0, backoff=0.01, timeout=5)
    text = "昨天习近平在北京说到抗议的事情，大家都知道了"

    async def run(**reuse):  # type: ignore[no-untyped-def]
        async with Prober(ShortQueries(base_url=testbed.url), config) as prober:
            return await isolate_text(text, prober, **reuse)

    result = asyncio.run(run(known=[("六四", "坦克"), ("习近平", "抗议")]))
    assert (result.trigger, result.reused, result.queries) == (("习近平", "抗议"), True, 1)
    assert [entry["query"] for entry in testbed.log] == ["习近平 抗议"]
