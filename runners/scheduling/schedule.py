"""Install files for a profile's cadence: systemd service + timer, a crontab line, a workflow.

Pure text generators: nothing here touches the system. Each generated job runs
``censorprobe run-profile PROFILE``. Cron expressions are read as UTC.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from runners.scheduling.profiles import Cadence, Profile

__all__ = [
    "ScheduleError",
    "UnitFiles",
    "cron_to_oncalendar",
    "crontab_line",
    "github_workflow",
    "interval_to_cron",
    "systemd_units",
]

_DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_DAY_NAMES = {name.lower(): index for index, name in enumerate(_DAYS[:7])}


class ScheduleError(ValueError):
    pass


def _systemd_field(field: str, start: int, width: int = 2) -> str:
    """One cron field (``*``, ``5``, ``1-5``, ``*/15``, ``1,15``) in OnCalendar syntax."""
    if field == "*":
        return "*"
    parts = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            base = str(start)
        if "-" in base:
            low, high = base.split("-", 1)
            text = f"{int(low):0{width}d}..{int(high):0{width}d}"
            if step:
                raise ScheduleError(f"cron field {field!r}: a stepped range has no OnCalendar form")
        else:
            text = f"{int(base):0{width}d}"
        if step:
            text += f"/{int(step)}"
        parts.append(text)
    return ",".join(parts)


def _day_of_week(field: str) -> str:
    parts = []
    for part in field.split(","):
        if "/" in part:
            raise ScheduleError(f"day-of-week {field!r}: steps have no OnCalendar form")
        low, sep, high = part.partition("-")
        names = [_DAYS[_dow(low)]] + ([_DAYS[_dow(high)]] if sep else [])
        parts.append("..".join(names))
    return ",".join(parts)


def _dow(text: str) -> int:
    if text.lower() in _DAY_NAMES:
        return _DAY_NAMES[text.lower()]
    number = int(text)
    if not 0 <= number <= 7:
        raise ScheduleError(f"day of week {text!r} out of range 0-7")
    return number


def cron_to_oncalendar(cron: str) -> str:
    """A five-field cron expression as a systemd OnCalendar value (UTC)."""
    try:
        minute, hour, day, month, weekday = cron.split()
    except ValueError:
        raise ScheduleError(f"{cron!r} is not a five-field cron expression") from None
    if day != "*" and weekday != "*":
        # cron runs when EITHER matches; OnCalendar requires both.
        raise ScheduleError("cron with both day-of-month and day-of-week has no OnCalendar form")
    try:
        date = f"*-{_systemd_field(month, 1)}-{_systemd_field(day, 1)}"
        time = f"{_systemd_field(hour, 0)}:{_systemd_field(minute, 0)}:00"
        prefix = "" if weekday == "*" else _day_of_week(weekday) + " "
    except ValueError as exc:
        raise ScheduleError(f"cron {cron!r}: {exc}") from None
    return f"{prefix}{date} {time} UTC"


def interval_to_cron(seconds: int) -> str:
    """An interval as cron, when cron can say it exactly (whole minutes dividing an hour ...)."""
    if seconds % 60:
        raise ScheduleError(f"an interval of {seconds}s has no cron form (cron counts minutes)")
    minutes = seconds // 60
    if minutes < 60 and 60 % minutes == 0:
        return f"*/{minutes} * * * *" if minutes > 1 else "* * * * *"
    if minutes % 60 == 0:
        hours = minutes // 60
        if hours < 24 and 24 % hours == 0:
            return f"0 */{hours} * * *" if hours > 1 else "0 * * * *"
        if hours == 24:
            return "0 0 * * *"
    raise ScheduleError(
        f"an interval of {seconds}s has no exact cron form; use a cron cadence instead"
    )


def _cron_of(cadence: Cadence) -> str:
    if cadence.cron is not None:
        return cadence.cron
    assert cadence.interval is not None
    return interval_to_cron(cadence.interval)


@dataclass(frozen=True)
class UnitFiles:
    name: str
    service: str
    timer: str


def _command(executable: str, profile_path: Path) -> str:
    return f"{shlex.quote(executable)} run-profile {shlex.quote(str(profile_path))}"


def systemd_units(profile: Profile, profile_path: Path, executable: str) -> UnitFiles:
    """``censorprobe-<name>.service`` (oneshot) and ``.timer``.

    Persistent=true makes systemd start a run at boot when one was missed while the machine
    was off (for OnCalendar timers); SIGTERM on stop lets the runner close the snapshot as
    ``interrupted``, and the next run resumes it.
    """
    cadence = profile.schedule
    if cadence.cron is not None:
        when = f"OnCalendar={cron_to_oncalendar(cadence.cron)}"
    else:
        when = f"OnBootSec={cadence.interval}s\nOnUnitActiveSec={cadence.interval}s"
    unit = f"censorprobe-{profile.name}"
    service = (
        "[Unit]\n"
        f"Description=censorprobe measurement run, profile {profile.name}\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={profile_path.parent}\n"
        f"ExecStart={_command(executable, profile_path)}\n"
        "KillSignal=SIGTERM\n"
        "TimeoutStopSec=120\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=censorprobe schedule for profile {profile.name} ({profile.cadence})\n\n"
        "[Timer]\n"
        f"{when}\n"
        "Persistent=true\n"
        f"Unit={unit}.service\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return UnitFiles(unit, service, timer)


def crontab_line(profile: Profile, profile_path: Path, executable: str, log: Path) -> str:
    """A comment and one crontab line. The times are UTC: on a machine in another time zone,
    put ``CRON_TZ=UTC`` above it (cronie) or shift the hours."""
    command = _command(executable, profile_path) + f" >> {shlex.quote(str(log))} 2>&1"
    comment = f"# censorprobe profile {profile.name}, cadence {profile.cadence} (UTC)"
    return f"{comment}\n{_cron_of(profile.schedule)} {command}\n"


def github_workflow(profile: Profile, profile_path: str) -> str:
    """A GitHub Actions workflow; ``profile_path`` is relative to the repository root."""
    workflow = {
        "name": f"censorprobe {profile.name}",
        "on": {
            "schedule": [{"cron": _cron_of(profile.schedule)}],
            "workflow_dispatch": {},
        },
        "concurrency": {"group": f"censorprobe-{profile.name}", "cancel-in-progress": False},
        "jobs": {
            "measure": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 350,
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
                    {"name": "Install censorprobe", "run": "pip install ."},
                    {
                        "name": "Run the profile",
                        "run": f"censorprobe run-profile {shlex.quote(profile_path)}",
                    },
                    {
                        "name": "Upload the snapshots",
                        "if": "always()",
                        "uses": "actions/upload-artifact@v4",
                        "with": {
                            "name": f"censorprobe-{profile.name}-${{{{ github.run_id }}}}",
                            "path": _output_in_repo(profile, profile_path),
                            "if-no-files-found": "warn",
                        },
                    },
                ],
            }
        },
    }
    return yaml.safe_dump(workflow, sort_keys=False, allow_unicode=True, width=100)


def _output_in_repo(profile: Profile, profile_path: str) -> str:
    """The output folder as a path relative to the repository root (as the workflow sees it)."""
    relative = Path(profile_path).parent / profile.output
    parts: list[str] = []
    for part in relative.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or "."
