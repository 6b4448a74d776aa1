"""Schedule files: systemd units that systemd accepts, a crontab line, a GitHub workflow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer
import yaml
from support import manifest, write_list
from typer.testing import CliRunner

from runners.cli.schedule import schedule_command
from runners.scheduling.schedule import (
    KEEP,
    RESTORE,
    ScheduleError,
    cron_to_oncalendar,
    interval_to_cron,
)
from testbed import RuleBook, serve_in_thread
from testbed import TestbedConfig as Config  # not collected as a test class

PROFILE = """name: weekly
lists: [list.yaml]
platforms: [testbed]
cadence: CADENCE
output: ../results/weekly
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(schedule_command)  # registered as `schedule` by runners/cli
    return app


def _write(tmp_path: Path, cadence: str, kind: str) -> tuple[Path, Path]:
    folder = tmp_path / "profiles"
    folder.mkdir(exist_ok=True)
    profile = folder / "weekly.yaml"
    profile.write_text(PROFILE.replace("CADENCE", repr(cadence)), encoding="utf-8")
    out = tmp_path / "deploy"
    result = CliRunner().invoke(_app(), [str(profile), "--kind", kind, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return profile, out


@pytest.mark.parametrize(
    ("cron", "calendar"),
    [
        ("*/15 * * * *", "*-*-* *:00/15:00 UTC"),
        ("0 9 * * 1-5", "Mon..Fri *-*-* 09:00:00 UTC"),
        ("30 2 1,15 * *", "*-*-01,15 02:30:00 UTC"),
        ("0 0 * * sun", "Sun *-*-* 00:00:00 UTC"),
        ("0 */6 * * *", "*-*-* 00/6:00:00 UTC"),
    ],
)
def test_cron_to_oncalendar(cron: str, calendar: str) -> None:
    assert cron_to_oncalendar(cron) == calendar


def test_unconvertible_forms_are_refused() -> None:
    with pytest.raises(ScheduleError):
        cron_to_oncalendar("0 0 1 * 1")  # cron's day-of-month OR day-of-week
    with pytest.raises(ScheduleError):
        interval_to_cron(45)
    with pytest.raises(ScheduleError):
        interval_to_cron(7 * 3600)
    assert interval_to_cron(1800) == "*/30 * * * *"
    assert interval_to_cron(6 * 3600) == "0 */6 * * *"


@pytest.mark.parametrize(
    ("cadence", "expect", "persistent"),
    [
        ("0 3 * * mon", "OnCalendar=Mon *-*-* 03:00:00 UTC", True),
        # An interval with a calendar form gets a calendar timer, where Persistent= acts.
        ("6h", "OnCalendar=*-*-* 00/6:00:00 UTC", True),
        ("90s", "OnUnitActiveSec=90s", False),
    ],
)
def test_systemd_units(tmp_path: Path, cadence: str, expect: str, persistent: bool) -> None:
    profile, out = _write(tmp_path, cadence, "systemd")
    service = out / "censorprobe-weekly.service"
    timer = out / "censorprobe-weekly.timer"
    assert f"run-profile {profile.resolve()}" in service.read_text()
    text = timer.read_text()
    assert expect in text
    assert ("Persistent=true" in text) is persistent
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the unit files were not verified")
    verified = subprocess.run(
        [analyze, "verify", "--man=no", str(service), str(timer)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert verified.returncode == 0, verified.stderr
    assert "censorprobe-weekly" not in verified.stderr  # no complaint about our units


def test_crontab_line(tmp_path: Path) -> None:
    profile, out = _write(tmp_path, "0 3 * * 1", "cron")
    lines = (out / "censorprobe-weekly.crontab").read_text().splitlines()
    assert lines[0].startswith("#")
    fields = lines[1].split(maxsplit=5)
    assert fields[:5] == ["0", "3", "*", "*", "1"]
    assert f"run-profile {profile.resolve()}" in fields[5]


def test_the_cron_line_runs_as_cron_would_and_creates_its_log_folder(tmp_path: Path) -> None:
    with serve_in_thread(Config(rules=RuleBook(()))) as testbed:
        folder = tmp_path / "profiles"
        folder.mkdir()
        write_list(folder / "list.yaml", [("a", "天气预报")])
        profile = folder / "weekly.yaml"
        text = PROFILE.replace("CADENCE", "'0 3 * * 1'")
        text += f'base_urls: {{testbed: "{testbed.url}"}}\npacing: {{rate: 0}}\n'
        profile.write_text(text, encoding="utf-8")
        out = tmp_path / "deploy"
        result = CliRunner().invoke(_app(), [str(profile), "--kind", "cron", "--out", str(out)])
        assert result.exit_code == 0, result.output
        command = (
            (out / "censorprobe-weekly.crontab").read_text().splitlines()[1].split(maxsplit=5)[5]
        )
        assert not (tmp_path / "results").exists()
        # cron hands the command to sh, with a bare environment, from the home folder.
        done = subprocess.run(
            ["sh", "-c", command],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    results = tmp_path / "results" / "weekly"
    assert "complete" in (results / "weekly.log").read_text()
    (run,) = [path for path in results.iterdir() if path.is_dir()]
    assert manifest(run)["status"] == "complete"


def test_github_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _, out = _write(tmp_path, "30m", "github")
    path = out / "censorprobe-weekly.yml"
    workflow = yaml.safe_load(path.read_text())
    assert workflow["on"]["schedule"] == [{"cron": "*/30 * * * *"}]
    assert "workflow_dispatch" in workflow["on"]
    job = workflow["jobs"]["measure"]
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert "pip install" in steps["Install censorprobe"]["run"]
    assert steps["Run the profile"]["run"] == "censorprobe run-profile profiles/weekly.yaml"
    assert job["env"]["OUTPUT"] == "results/weekly"
    upload = steps["Upload the snapshots"]
    assert upload["with"]["path"] == "results/weekly"
    assert upload["if"] == "always()" and steps["Keep the snapshots"]["if"] == "always()"
    # GitHub's own workflow schema (vendored by check-jsonschema) accepts it.
    checked = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_the_workflow_keeps_snapshots_between_runs(tmp_path: Path) -> None:
    """The restore and keep steps, run by bash in two fresh clones of one origin, in turn."""
    origin = tmp_path / "origin.git"
    _git("init", "--quiet", "--bare", str(origin), cwd=tmp_path)
    seed = tmp_path / "seed"
    _git("clone", "--quiet", str(origin), str(seed), cwd=tmp_path)
    (seed / "README").write_text("a measurement repository\n")
    _git("add", "README", cwd=seed)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start", cwd=seed)
    _git("push", "--quiet", "origin", "HEAD", cwd=seed)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "OUTPUT": "results/weekly",
        "PROFILE_NAME": "weekly",
        "RESULTS_BRANCH": "censorprobe-results-weekly",
        "RUNNER_TEMP": str(tmp_path),
    }
    for run in ("run-1", "run-2"):
        checkout = tmp_path / run
        _git("clone", "--quiet", str(origin), str(checkout), cwd=tmp_path)
        job = {**env, "GITHUB_RUN_ID": run}
        subprocess.run(["bash", "-euc", RESTORE], cwd=checkout, env=job, check=True)
        snapshot = checkout / "results" / "weekly" / run
        snapshot.mkdir(parents=True)  # what `censorprobe run-profile` writes
        (snapshot / "manifest.json").write_text("{}")
        subprocess.run(["bash", "-euc", KEEP], cwd=checkout, env=job, check=True)
        # The checkout itself is left as it was: nothing staged, the results untracked.
        assert _git("diff", "--cached", "--name-only", cwd=checkout) == ""
    kept = _git("ls-tree", "-r", "--name-only", "censorprobe-results-weekly", cwd=origin)
    assert kept.split() == ["run-1/manifest.json", "run-2/manifest.json"]
    assert (tmp_path / "run-2" / "results" / "weekly" / "run-1" / "manifest.json").exists()


def test_seconds_cadence_cannot_go_to_cron(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    profile = folder / "weekly.yaml"
    profile.write_text(PROFILE.replace("CADENCE", "90s"), encoding="utf-8")
    result = CliRunner().invoke(_app(), [str(profile), "--kind", "cron"])
    assert result.exit_code == 1
    assert "no cron form" in result.output
