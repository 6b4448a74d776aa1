"""Install files for a profile's cadence: systemd service + timer, a crontab line, a workflow.

Pure text generators: nothing here touches the system. Each generated job runs
``censorprobe run-profile PROFILE``. Cron expressions are read as UTC.

- systemd: a calendar timer (``OnCalendar``) wherever the cadence has a calendar form, since
  ``Persistent=true`` (catch up a run missed while the machine was off) acts on calendar
  timers only; a cadence with none (``90s``) gets a monotonic timer and no ``Persistent``.
- cron: the line creates the folder of its log before writing to it.
- GitHub Actions: the workflow installs censorprobe (this checkout if it is censorprobe's own
  repository, else ``pip install $CENSORPROBE_SPEC``, default ``censorprobe``), and keeps the
  snapshots between runs on a branch of their own (``censorprobe-results-<profile>``): each
  run restores the folder from it, runs, and pushes the folder back as one commit, so every
  run can diff against the previous one.
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
    try:
        when = f"OnCalendar={cron_to_oncalendar(_cron_of(cadence))}\nPersistent=true"
    except ScheduleError:
        if cadence.interval is None:
            raise
        # No calendar form: a monotonic timer, on which Persistent= would have no effect.
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
        f"Unit={unit}.service\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return UnitFiles(unit, service, timer)


def crontab_line(profile: Profile, profile_path: Path, executable: str, log: Path) -> str:
    """A comment and one crontab line. The times are UTC: on a machine in another time zone,
    put ``CRON_TZ=UTC`` above it (cronie) or shift the hours."""
    folder = shlex.quote(str(log.parent))
    command = (
        f"mkdir -p {folder} && "
        + _command(executable, profile_path)
        + f" >> {shlex.quote(str(log))} 2>&1"
    )
    comment = f"# censorprobe profile {profile.name}, cadence {profile.cadence} (UTC)"
    return f"{comment}\n{_cron_of(profile.schedule)} {command}\n"


#: Installs censorprobe: this checkout when it is censorprobe's own repository.
_INSTALL = """\
if grep -qs '^name = "censorprobe"' pyproject.toml; then
  pip install .
else
  pip install "${CENSORPROBE_SPEC:-censorprobe}"
fi
"""
#: Brings back the snapshots of earlier runs from the results branch (none on a first run).
RESTORE = """\
mkdir -p "$OUTPUT"
if git fetch --quiet --depth=1 origin "$RESULTS_BRANCH"; then
  git archive FETCH_HEAD | tar -x -C "$OUTPUT"
fi
"""
#: Pushes the snapshot folder back as one commit (a separate index: the checkout is untouched).
KEEP = """\
export GIT_INDEX_FILE="$RUNNER_TEMP/censorprobe-results.index"
rm -f "$GIT_INDEX_FILE"
git --work-tree="$OUTPUT" add --all --force .
tree=$(git write-tree)
commit=$(git -c user.name=censorprobe -c user.email=censorprobe@users.noreply.github.com \\
  commit-tree "$tree" -m "censorprobe snapshots of profile $PROFILE_NAME, run $GITHUB_RUN_ID")
git push --force --quiet origin "$commit:refs/heads/$RESULTS_BRANCH"
"""


def github_workflow(profile: Profile, profile_path: str) -> str:
    """A GitHub Actions workflow; ``profile_path`` is relative to the repository root."""
    output = _output_in_repo(profile, profile_path)
    workflow = {
        "name": f"censorprobe {profile.name}",
        "on": {
            "schedule": [{"cron": _cron_of(profile.schedule)}],
            "workflow_dispatch": {},
        },
        "permissions": {"contents": "write"},
        "concurrency": {"group": f"censorprobe-{profile.name}", "cancel-in-progress": False},
        "jobs": {
            "measure": {
                "runs-on": "ubuntu-latest",
                "timeout-minutes": 350,
                "env": {
                    "OUTPUT": output,
                    "PROFILE_NAME": profile.name,
                    "RESULTS_BRANCH": f"censorprobe-results-{profile.name}",
                    "CENSORPROBE_SPEC": "${{ vars.CENSORPROBE_SPEC }}",
                },
                "steps": [
                    {"uses": "actions/checkout@v4"},
                    {"uses": "actions/setup-python@v5", "with": {"python-version": "3.11"}},
                    {"name": "Install censorprobe", "run": _INSTALL},
                    {"name": "Restore earlier snapshots", "run": RESTORE},
                    {
                        "name": "Run the profile",
                        "run": f"censorprobe run-profile {shlex.quote(profile_path)}",
                    },
                    {"name": "Keep the snapshots", "if": "always()", "run": KEEP},
                    {
                        "name": "Upload the snapshots",
                        "if": "always()",
                        "uses": "actions/upload-artifact@v4",
                        "with": {
                            "name": f"censorprobe-{profile.name}-${{{{ github.run_id }}}}",
                            "path": output,
                            "if-no-files-found": "warn",
                        },
                    },
                ],
            }
        },
    }
    return yaml.dump(
        workflow, Dumper=_WorkflowDumper, sort_keys=False, allow_unicode=True, width=100
    )


class _WorkflowDumper(yaml.SafeDumper):
    """Safe YAML with multi-line strings (the shell steps) as ``|`` blocks a person can read."""


def _block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_WorkflowDumper.add_representer(str, _block)


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
