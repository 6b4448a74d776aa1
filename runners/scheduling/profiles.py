"""Run profiles: a named, scheduled measurement run described in one YAML file.

A profile says what to probe (keyword lists, platforms), how politely (pacing), from where
(vantage: a label, an optional proxy and an optional headers file), how often (cadence: a
five-field cron expression or an interval such as ``6h``), where snapshots go, and how many
to keep. ``censorprobe schedule`` turns it into systemd, cron or GitHub Actions files,
``censorprobe run-profile`` runs it once, and ``censorprobe daemon`` runs it on its cadence.

```yaml
name: cn-core-6h                  # letters, digits, . _ - ; prefixes run ids, kept in manifests
lists: [../cn-core.yaml]          # paths relative to this file
platforms: [weibo, baidu]
base_urls: {weibo: https://mirror.example}     # optional
pacing: {rate: 0.2, concurrency: 2}            # all optional; faster_than_polite: true
                                               # to go above the adapter's polite pacing
vantage: {name: home-dsl, proxy: socks5://127.0.0.1:1080, headers: cookies.txt}
cadence: "0 */6 * * *"            # or an interval: 30s, 30m, 6h, 1d
output: ../../results/cn-core     # relative to this file
retention: {keep_last: 30, max_age_days: 90}   # optional; both optional
```

Paths are resolved against the profile's folder, so a profile can be installed anywhere.
Errors name the file, the line and the field, like keyword-list errors.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
)

from runners.execution.progress import RunWatcher
from runners.execution.runner import RunResult, execute
from runners.keywords.lists import KeywordError, field_name
from runners.keywords.yamlsafe import YamlSyntaxError, load_marked
from runners.plan.config import RunConfig, read_headers
from runners.plan.planner import make_plan
from snapshots.format import SnapshotError, read_manifest
from snapshots.writer import new_run_id

__all__ = [
    "PROFILE_FIELD",
    "Cadence",
    "ProfilePacing",
    "Profile",
    "ProfileInvalid",
    "Retention",
    "Vantage",
    "apply_retention",
    "latest_interrupted",
    "load_profile",
    "parse_cadence",
    "profile_runs",
    "run_profile",
    "to_run_config",
]

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
#: The manifest field naming the profile a run belongs to (what retention and resume go by).
PROFILE_FIELD = "profile"
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Cadence:
    """Either ``interval`` (seconds) or ``cron`` (five fields, UTC), never both."""

    text: str
    interval: int | None = None
    cron: str | None = None


def parse_cadence(text: str) -> Cadence:
    """``30s``/``30m``/``6h``/``1d`` or a five-field cron expression; ValueError otherwise."""
    match = _INTERVAL.match(text)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds <= 0:
            raise ValueError("an interval must be longer than zero")
        return Cadence(text, interval=seconds)
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"{text!r} is neither an interval (30m, 6h, 1d) nor a cron expression of 5 fields"
        )
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text, timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"bad cron expression {text!r}: {exc}") from None
    return Cadence(" ".join(fields), cron=" ".join(fields))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfilePacing(_Strict):
    """Each setting left out is the run's default (``RunConfig``)."""

    #: Requests per second per platform; None = the adapter's polite default; 0 = unpaced.
    rate: float | None = Field(default=None, ge=0)
    burst: int | None = Field(default=None, ge=1)
    concurrency: int | None = Field(default=None, ge=1)
    #: A rate or burst above the adapter's polite pacing, off loopback (recorded).
    faster_than_polite: bool | None = None


class Vantage(_Strict):
    name: Name = RunConfig.model_fields["vantage"].default
    proxy: str | None = None
    #: File of ``Name: value`` lines (cookies ...); read at each run, never recorded.
    headers: str | None = None

    @field_validator("proxy")
    @classmethod
    def _proxy_scheme(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https?|socks5h?)://", value):
            raise ValueError("a proxy URL starts with http://, https://, socks5:// or socks5h://")
        return value


class Retention(_Strict):
    keep_last: int | None = Field(default=None, ge=1)
    max_age_days: float | None = Field(default=None, gt=0)


class Profile(_Strict):
    name: Name
    lists: list[str] = Field(min_length=1)
    platforms: list[str] = Field(min_length=1)
    base_urls: dict[str, str] = {}
    pacing: ProfilePacing = ProfilePacing()
    vantage: Vantage = Vantage()
    cadence: str
    output: str
    retention: Retention = Retention()
    #: The folder of the profile file; paths in the profile are relative to it.
    root: Path = Field(default=Path("."), exclude=True)
    #: The profile file and the line of ``vantage.headers``, for the error of a missing file.
    _headers_at: tuple[str, int] = PrivateAttr(default=("profile", 1))

    @field_validator("cadence")
    @classmethod
    def _cadence(cls, value: str) -> str:
        parse_cadence(value)
        return value

    @property
    def schedule(self) -> Cadence:
        return parse_cadence(self.cadence)

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    def list_paths(self) -> list[Path]:
        return [(self.root / path).resolve() for path in self.lists]

    def headers_path(self) -> Path | None:
        return (self.root / self.vantage.headers).resolve() if self.vantage.headers else None


class ProfileInvalid(ValueError):
    def __init__(self, errors: list[KeywordError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


def load_profile(path: Path | str) -> Profile:
    """Read and validate a profile; ProfileInvalid names file, line and field of each problem."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileInvalid([KeywordError(where, 0, "", f"cannot read: {exc}")]) from None
    try:
        marked = load_marked(text)
    except YamlSyntaxError as exc:
        raise ProfileInvalid([KeywordError(where, exc.line, "", str(exc))]) from None
    if not isinstance(marked.data, dict):
        raise ProfileInvalid(
            [KeywordError(where, 1, "", "a profile is a mapping with `name`, `lists`, ...")]
        )
    if "root" in marked.data:
        raise ProfileInvalid(
            [KeywordError(where, marked.line_of(["root"]), "root", "unknown field")]
        )
    try:
        profile = Profile.model_validate({**marked.data, "root": path.resolve().parent})
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = list(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "required field is missing"
            elif error["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; see runners/scheduling/profiles.py)"
            errors.append(KeywordError(where, marked.line_of(loc), field_name(loc), message))
        raise ProfileInvalid(errors) from None
    profile._headers_at = (where, marked.line_of(["vantage", "headers"]))
    return profile


def to_run_config(profile: Profile) -> RunConfig:
    pacing = profile.pacing.model_dump(exclude_none=True)
    return RunConfig(
        lists=profile.list_paths(),
        platforms=profile.platforms,
        base_urls=profile.base_urls,
        vantage=profile.vantage.name,
        proxy=profile.vantage.proxy,
        headers=_read_headers(profile),
        **pacing,
    )


def _read_headers(profile: Profile) -> dict[str, str]:
    """The headers file, read at each run; a missing one names the profile's line."""
    path = profile.headers_path()
    try:
        return read_headers(path)
    except OSError as exc:
        where, line = profile._headers_at
        message = f"cannot read {path}: {exc.strerror}"
        raise ProfileInvalid([KeywordError(where, line, "vantage.headers", message)]) from None


def profile_runs(profile: Profile) -> list[tuple[Path, dict[str, Any]]]:
    """This profile's snapshots, oldest first: those whose manifest names it as ``profile``.

    Never matched by folder name: profiles ``cn`` and ``cn-core`` may share one folder.
    """
    out = profile.output_dir
    if not out.is_dir():
        return []
    runs = []
    for folder in out.iterdir():
        if not folder.is_dir():
            continue
        try:
            manifest = read_manifest(folder)
        except (SnapshotError, ValueError):
            continue
        if manifest.get(PROFILE_FIELD) == profile.name:
            runs.append((folder, manifest))
    runs.sort(key=lambda item: (str(item[1].get("started_at") or ""), item[0].name))
    return runs


def latest_interrupted(profile: Profile) -> str | None:
    """The run id of the newest interrupted run of this profile, if it is the newest run."""
    runs = profile_runs(profile)
    if runs and runs[-1][1].get("status") == "interrupted":
        return runs[-1][0].name
    return None


def apply_retention(profile: Profile, now: datetime | None = None) -> list[Path]:
    """Delete complete snapshots beyond ``keep_last`` or older than ``max_age_days``.

    Running and interrupted snapshots are never deleted. Returns the deleted folders.
    """
    rule = profile.retention
    if rule.keep_last is None and rule.max_age_days is None:
        return []
    now = now or datetime.now(UTC)
    complete = [item for item in profile_runs(profile) if item[1].get("status") == "complete"]
    doomed: list[Path] = []
    if rule.keep_last is not None and len(complete) > rule.keep_last:
        doomed.extend(folder for folder, _ in complete[: len(complete) - rule.keep_last])
    if rule.max_age_days is not None:
        limit = now - timedelta(days=rule.max_age_days)
        for folder, manifest in complete:
            ended = manifest.get("ended_at") or manifest.get("started_at")
            if ended and _parse_time(ended) < limit and folder not in doomed:
                doomed.append(folder)
    for folder in doomed:
        shutil.rmtree(folder)
    return doomed


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_profile_run_id(profile: Profile) -> str:
    return f"{profile.name}-{new_run_id()}"


async def run_profile_async(
    profile: Profile,
    *,
    stop: asyncio.Event | None = None,
    watcher: RunWatcher | None = None,
    resume: bool = True,
) -> RunResult:
    """One run of the profile: resume its interrupted run if there is one, then apply retention."""
    plan = make_plan(to_run_config(profile))
    out = profile.output_dir
    out.mkdir(parents=True, exist_ok=True)
    interrupted = latest_interrupted(profile) if resume else None
    result: RunResult | None = None
    if interrupted is not None:
        try:
            result = await execute(
                plan, out, run_id=interrupted, resume=True, stop=stop, watcher=watcher
            )
        except ValueError:
            result = None  # the lists changed since: leave it interrupted, start afresh
    if result is None:
        result = await execute(
            plan,
            out,
            run_id=new_profile_run_id(profile),
            stop=stop,
            watcher=watcher,
            manifest_extra={PROFILE_FIELD: profile.name},
        )
    if result.status == "complete":
        apply_retention(profile)
    return result


def run_profile(profile_path: Path | str, *, stop: asyncio.Event | None = None) -> RunResult:
    """Load the profile and run it once (blocking); see :func:`run_profile_async`."""
    return asyncio.run(run_profile_async(load_profile(profile_path), stop=stop))
