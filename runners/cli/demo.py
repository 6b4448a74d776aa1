"""``censorprobe demo``: the whole flow on loopback, twice, so the second run shows a change."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from runners.cli.display import console, print_summary
from runners.cli.exits import fail
from runners.cli.options import RunResultsFolder
from runners.cli.results import print_diff, write_report
from runners.cli.run import run_plan
from runners.isolation.driver import isolate_snapshot
from runners.plan.config import RunConfig
from runners.plan.planner import make_plan
from snapshots.diff import diff_snapshots
from snapshots.format import Key

_REPO_KEYWORDS = Path(__file__).resolve().parents[2] / "keywords" / "demo.yaml"


def demo_command(
    out: RunResultsFolder = Path("results"),
    keyword_list: Annotated[
        Path, typer.Option("--list", help="Keyword list to probe.")
    ] = _REPO_KEYWORDS,
    report_path: Annotated[
        Path, typer.Option("--report", help="Where to write the HTML report.")
    ] = Path("report.html"),
) -> None:
    """Start the testbed on loopback, probe the demo list at epoch 1 and 2, diff, and report."""
    from testbed import TestbedConfig, load_rules, serve_in_thread  # the server only when run

    if not keyword_list.exists():
        raise fail(
            f"{keyword_list} not found: run the demo from a censorprobe checkout or give --list"
        )
    rules_file = resources.files("testbed").joinpath("data", "demo-rules.yaml")
    with resources.as_file(rules_file) as rules_path:
        rules = load_rules([rules_path])
    snapshots = []
    with serve_in_thread(TestbedConfig(rules=rules)) as testbed:
        console.print(f"testbed listening on {testbed.url} (nothing leaves loopback)")
        for epoch in (1, 2):
            testbed.set_epoch(epoch)
            config = RunConfig(
                lists=[keyword_list.resolve()],
                platforms=["testbed"],
                base_urls={"testbed": testbed.url},
                rate=0,
                backoff=0.05,
                reask_delay=0.05,
                timeout=5,
            )
            result = run_plan(make_plan(config), out, None, False, label=f"epoch {epoch}")
            print_summary(result.run_id, result.status, result.counts)
            console.print(f"snapshot: {result.folder}")
            snapshots.append(result.folder)
        _isolate(snapshots[-1], config)
    console.print(
        f"two snapshots written: {snapshots[0].name} (epoch 1), {snapshots[1].name} (epoch 2)"
    )
    console.print("what changed between epoch 1 and epoch 2:")
    print_diff(diff_snapshots(snapshots[0], snapshots[1]))
    write_report(out, report_path)


def _isolate(folder: Path, config: RunConfig) -> None:
    """Which words hide each censored combination or long text of the epoch-2 run."""
    records = asyncio.run(isolate_snapshot(folder, config))
    console.print("what triggers the censorship of each combination or long text (epoch 2):")
    for record in records:
        key = Key.parse(record["key"])
        term = key.term if key else record["key"]
        found = " + ".join(record["trigger"]) if record["trigger"] else record["error"]
        console.print(f"  {term}: {found} ({record['queries']} queries)")
