"""Proof by fault injection: faults never turn into censorship, and retries keep recall.

A known rule set is probed with 30 % of requests faulted (each fault kind alone, then all
together). With five attempts a term is lost with probability 0.3^5 = 0.24 %, so 300
censored terms keep the 99 % bar well clear of chance. Precision must be 1.0 — no term whose truth is visible is recorded as censored,
and no censored term gets the wrong signal — and at least 99 % of censored terms are found
with the default number of attempts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from support import observations, run_probes, write_list

from runners.plan.config import RunConfig
from testbed import Action, Fault, Rule, RuleBook

ACTIONS = [Action.NOTICE, Action.PARTIAL_NOTICE, Action.ZERO_RESULTS, Action.SOFT]
CENSORED = [(f"c{i:03d}", f"禁词{i}号") for i in range(300)]
VISIBLE = [(f"v{i:03d}", f"普通词{i}号") for i in range(60)]
RULES = RuleBook(
    tuple(Rule(parts=(text,), action=ACTIONS[i % 4]) for i, (_, text) in enumerate(CENSORED))
)
TRUTH = {term_id: ACTIONS[i % 4].value for i, (term_id, _) in enumerate(CENSORED)}


@pytest.mark.parametrize(
    "faults", [(fault,) for fault in Fault] + [tuple(Fault)], ids=[f.value for f in Fault] + ["all"]
)
def test_faults_never_read_as_censorship(
    start_testbed, tmp_path: Path, faults: tuple[Fault, ...]
) -> None:
    testbed = start_testbed(
        rules=RULES, fault_rate=0.3, faults=faults, seed=11, retry_after=0, slow_seconds=1.5
    )
    folder = run_probes(
        [write_list(tmp_path / "l.yaml", CENSORED + VISIBLE)],
        testbed.url,
        tmp_path / "r",
        # The deadline of a whole exchange: well under a slow answer, well over a loaded
        # machine's loopback answer.
        timeout=0.6,
        concurrency=8,
        control_every=25,
        max_attempts=RunConfig.model_fields["max_attempts"].default,
    )
    found = {o["term"]["id"]: o for o in observations(folder)}
    assert len(found) == len(CENSORED) + len(VISIBLE)
    for term_id, _ in VISIBLE:
        assert found[term_id]["verdict"] != "censored", found[term_id]
    hits, lost = 0, Counter[str]()
    for term_id, signal in TRUTH.items():
        observation = found[term_id]
        if observation["verdict"] == "censored":
            assert observation["signal"] == signal, observation
            hits += 1
        else:
            assert observation["verdict"] == "error", observation
            lost[observation["error"]["kind"]] += 1
    assert hits / len(TRUTH) >= 0.99, f"recall {hits}/{len(TRUTH)}, lost as {dict(lost)}"
    # The faults really happened, and retries were needed to get past them.
    assert sum(1 for entry in testbed.log if entry["answer"].startswith("fault:")) > 30
    assert any(o["attempts"] > 1 for o in found.values())
