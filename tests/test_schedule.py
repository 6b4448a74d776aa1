"""Schedule files: systemd units that systemd accepts, a crontab line, a GitHub workflow."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from runners.cli.schedule import schedule_command
from runners.scheduling.schedule import ScheduleError, cron_to_oncalendar, interval_to_cron

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
    ("cadence", "expect"),
    [("0 3 * * mon", "OnCalendar=Mon *-*-* 03:00:00 UTC"), ("6h", "OnUnitActiveSec=21600s")],
)
def test_systemd_units(tmp_path: Path, cadence: str, expect: str) -> None:
    profile, out = _write(tmp_path, cadence, "systemd")
    service = out / "censorprobe-weekly.service"
    timer = out / "censorprobe-weekly.timer"
    assert f"run-profile {profile.resolve()}" in service.read_text()
    text = timer.read_text()
    assert expect in text and "Persistent=true" in text
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


def test_github_workflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _, out = _write(tmp_path, "30m", "github")
    workflow = yaml.safe_load((out / "censorprobe-weekly.yml").read_text())
    assert workflow["on"]["schedule"] == [{"cron": "*/30 * * * *"}]
    assert "workflow_dispatch" in workflow["on"]
    steps = workflow["jobs"]["measure"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert any(run.startswith("pip install") for run in runs)
    assert "censorprobe run-profile profiles/weekly.yaml" in runs
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-art"))
    assert upload["with"]["path"] == "results/weekly"
    assert upload["if"] == "always()"


def test_seconds_cadence_cannot_go_to_cron(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    profile = folder / "weekly.yaml"
    profile.write_text(PROFILE.replace("CADENCE", "90s"), encoding="utf-8")
    result = CliRunner().invoke(_app(), [str(profile), "--kind", "cron"])
    assert result.exit_code == 1
    assert "no cron form" in result.output
