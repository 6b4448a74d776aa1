"""Rare strings are not censored terms: the whole runner on the testbed's index, per personality.

For each personality: 200 rare benign strings (that no document has) and 200 terms that exist
in the corpus but that rules censor with the silent actions its adapter declares, run by the
real runner over real HTTP, with no faults and with 30 % of the requests failing (500, 429,
reset, truncated body; the faults the runner retries). Precision and recall are printed
(``pytest -s``).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from support import observations, run_probes

from probes import Signal
from probes.registry import adapters
from testbed import Action, Fault, Rule, RuleBook, serve_in_thread
from testbed import TestbedConfig as Config  # not collected as a test class
from testbed.index import Index
from testbed.rules import DEFAULT_ALLOWLIST

READERS = {
    "generic": "testbed",
    "baidu": "baidu",
    "bing": "bing_cn",
    "weibo": "weibo",
    "bilibili": "bilibili",
    "x": "x",
    "wikipedia": "wikipedia_zh",
}
FAULTS = (Fault.SERVER_ERROR, Fault.RATE_LIMIT, Fault.RESET, Fault.TRUNCATE)
SILENT_ACTIONS = {Signal.ZERO_RESULTS: Action.ZERO_RESULTS, Signal.SOFT: Action.SOFT}
PER_KIND = 200
CONTROLS = ("天气", "中国")
#: Seeds the testbed's fault dice and its corpus.
SEED = 11


def _rare_strings(dice: random.Random) -> list[str]:
    latin = ["".join(dice.choices("bcdfghjklmnpqrstvwxz", k=8)) for _ in range(PER_KIND // 2)]
    # CJK Extension A: characters no document of the corpus is made of.
    han = [
        "".join(chr(dice.randint(0x3400, 0x4DB5)) for _ in range(3)) for _ in range(PER_KIND // 2)
    ]
    return latin + han


def _censorable_terms(dice: random.Random) -> list[str]:
    """Words of the corpus that official sources also have (so a soft rule shows something)."""
    index = Index(DEFAULT_ALLOWLIST, seed=SEED)
    words = sorted(
        {
            word
            for doc in index.corpus
            for word in doc.words
            if len(word) >= 2 and not any(word in control for control in CONTROLS)
        }
    )
    official = [
        word for word in words if any(doc.source in DEFAULT_ALLOWLIST for doc in index.search(word))
    ]
    return dice.sample(official, PER_KIND)


def _write_list(path: Path, rare: list[str], censored: list[str]) -> Path:
    lines = ["list: silence", "description: rare strings and censored terms", "language: zh-Hans"]
    lines.append("terms:")
    for prefix, texts in (("rare", rare), ("censored", censored)):
        lines.extend(
            f"  - {{id: {prefix}-{n}, text: {json.dumps(text, ensure_ascii=False)}, category: {prefix}}}"
            for n, text in enumerate(texts)
        )
    lines.append("controls:")
    lines.extend(f"  - {{id: control-{n}, text: {text}}}" for n, text in enumerate(CONTROLS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fault_rate", [0.0, 0.3], ids=["no-faults", "faults-30"])
@pytest.mark.parametrize(("personality", "reader"), sorted(READERS.items()))
def test_rare_strings_are_never_confirmed_censorship(
    personality: str,
    reader: str,
    fault_rate: float,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CENSORPROBE_X_BEARER_TOKEN", "testbed-token")
    adapter_cls = adapters()[reader]
    actions = [SILENT_ACTIONS[s] for s in sorted(adapter_cls.silent_censorship)]
    dice = random.Random(f"silence/{personality}")
    rare = _rare_strings(dice)
    censored = _censorable_terms(dice) if actions else []
    rules = RuleBook(
        tuple(
            Rule(parts=(term,), action=actions[n % len(actions)]) for n, term in enumerate(censored)
        )
    )
    config = Config(
        rules=rules,
        personality=personality,
        index=True,
        fault_rate=fault_rate,
        faults=FAULTS,
        retry_after=0,
        seed=SEED,
    )
    keyword_list = _write_list(tmp_path / "silence.yaml", rare, censored)
    with serve_in_thread(config) as testbed:
        folder = run_probes([keyword_list], testbed.url, tmp_path / "results", platform=reader)
    read = {o["term"]["id"]: o for o in observations(folder)}
    assert len(read) == len(rare) + len(censored)
    rare_read = [o for key, o in read.items() if key.startswith("rare-")]
    censored_read = [o for key, o in read.items() if key.startswith("censored-")]

    def censored_(items: list[dict], confidence: str | None = None) -> int:
        return sum(
            o["verdict"] == "censored" and confidence in (None, o["confidence"]) for o in items
        )

    false_confirmed = censored_(rare_read, "confirmed")
    false_any = censored_(rare_read)
    found, found_confirmed = censored_(censored_read), censored_(censored_read, "confirmed")
    confirmed_total = found_confirmed + false_confirmed
    print(
        f"\n{personality} ({reader}), faults {fault_rate:.0%}: "
        f"confirmed precision {found_confirmed}/{confirmed_total or 0}, "
        f"censored precision {found}/{found + false_any}, "
        f"recall {found}/{len(censored)} (confirmed {found_confirmed}), "
        f"rare strings read censored {false_any}/{len(rare)} (confirmed {false_confirmed})"
    )
    assert false_confirmed == 0, "a rare string was confirmed as censored"
    if not adapter_cls.silent_censorship:
        assert false_any == 0, "no silent censorship known: an empty answer is visible"
    for observation in rare_read:
        assert observation["verdict"] != "censored" or observation["confidence"] == "suspected"
    truism_known = adapter_cls().truism(None) is not None
    for observation in censored_read:
        # Rule zero under faults: a term the runner could not measure is an error, never visible.
        assert observation["verdict"] in ("censored", "error"), observation["term"]
        if observation["verdict"] != "censored":
            continue
        if not truism_known:
            assert observation["confidence"] == "suspected", "no truism: nothing silent confirmed"
        elif observation["confidence"] == "suspected":
            # Only a confirmation that failed leaves a term suspected where a truism exists.
            assert fault_rate > 0, f"{observation['term']['id']} unconfirmed without faults"
            assert observation["confirmation"]["result"] == "unconfirmed"
    if fault_rate == 0:
        assert found == len(censored), "a censored term read as not censored"
        if truism_known:
            assert found_confirmed == len(censored), "a truism is known: every term is confirmed"
