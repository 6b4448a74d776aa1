"""The settings of one run, kept in its manifest so ``--resume`` needs nothing else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from snapshots.evidence import REDACTED, redact_url
from snapshots.format import TOOL

__all__ = ["DEFAULT_USER_AGENT", "FIXED_ON_RESUME", "RunConfig", "read_headers"]

DEFAULT_USER_AGENT = (
    f"censorprobe/{TOOL['version']} (keyword censorship measurement;"
    " +https://github.com/censorprobe/censorprobe)"
)

#: What a resumed run keeps as it began (they make its keys and its plan).
FIXED_ON_RESUME = frozenset({"lists", "platforms", "vantage", "shard", "evidence"})
#: Control characters, and the key's separator: never in a vantage label (keys, WARC headers).
_BAD_LABEL = re.compile(r"[\x00-\x1f\x7f/]")


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: list[Path]
    platforms: list[str] = Field(min_length=1)
    base_urls: dict[str, str] = {}
    vantage: str = "local"
    #: Requests per second per platform; None = the adapter's polite default; 0 = unpaced.
    rate: float | None = None
    burst: int | None = None
    #: A rate or burst above the adapter's polite pacing, asked for explicitly (recorded).
    faster_than_polite: bool = False
    concurrency: int = Field(default=4, ge=1)
    max_attempts: int = Field(default=5, ge=1)
    timeout: float = Field(default=20.0, gt=0)
    #: Most bytes of one answer's body, counted on the wire and after decoding; a larger one
    #: is a ``too_large`` error (runners.execution.fetch). 8 MiB: several times the largest search page.
    max_body_bytes: int = Field(default=8 * 2**20, ge=1024)
    #: First retry back-off in seconds (doubles each attempt, capped at 60 s).
    backoff: float = Field(default=1.0, ge=0)
    #: Longest Retry-After honoured; a platform asking for more ends the probe as rate_limited.
    max_retry_after: float = 600.0
    control_every: int = Field(default=50, ge=1)
    #: Seconds before a silent signal's term is asked again (runners.execution.confirmation).
    reask_delay: float = Field(default=10.0, ge=0)
    evidence: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    redact_params: list[str] = []
    shard: str | None = None
    #: Proxy URL of the vantage point (http://, socks5://); never written with credentials.
    proxy: str | None = None
    #: Extra request headers of the vantage point (names only are kept in the manifest).
    headers: dict[str, str] = {}

    @field_validator("vantage")
    @classmethod
    def _plain_label(cls, value: str) -> str:
        if not value or _BAD_LABEL.search(value):
            raise ValueError(
                f"vantage {value!r}: a label without control characters (CR, LF ...) or '/'"
            )
        return value

    def redact(self, url: str) -> str:
        """``url`` as records keep it (the redaction rule of :mod:`snapshots.evidence`, with
        ``--redact-param``): credentials and secret query parameters replaced."""
        return redact_url(url, self.redact_params)

    def public(self) -> dict[str, object]:
        """The config as the manifest keeps it: header values, proxy credentials and tokens
        in base URLs left out."""
        data = self.model_dump(mode="json")
        data["headers"] = sorted(self.headers)
        data["base_urls"] = {name: self.redact(url) for name, url in self.base_urls.items()}
        if self.proxy and "@" in self.proxy:
            scheme, rest = self.proxy.split("://", 1)
            data["proxy"] = f"{scheme}://{REDACTED}@{rest.split('@', 1)[1]}"
        return data

    @classmethod
    def from_manifest(
        cls, stored: dict[str, Any], changes: dict[str, Any] | None = None
    ) -> RunConfig:
        """The config of a run being resumed, with the ``changes`` given for this resume.

        Refuses to change what :data:`FIXED_ON_RESUME` names. Secrets are never in the
        manifest: header values, a proxy with credentials and a base URL with a token must
        be given again (refused otherwise, never silently left out).
        """
        changes = dict(changes or {})
        fixed = sorted(changes.keys() & FIXED_ON_RESUME)
        if fixed:
            raise ValueError(
                f"a resumed run keeps its {', '.join(fixed)}: start a new run to change them"
            )
        base_urls = {**stored.get("base_urls", {}), **changes.pop("base_urls", {})}
        data = {**stored, "headers": {}, **changes, "base_urls": base_urls}
        missing = [f"--base-url {name}=..." for name, url in base_urls.items() if REDACTED in url]
        if REDACTED in str(data.get("proxy")):
            missing.append("--proxy")
        if stored.get("headers") and not data["headers"]:
            missing.append(f"--headers (with {', '.join(stored['headers'])})")
        if missing:
            raise ValueError(
                "this run was made with secrets that are never recorded; give them again: "
                + ", ".join(missing)
            )
        return cls.model_validate(data)


def read_headers(path: Path | None) -> dict[str, str]:
    """A vantage point's headers file: ``Name: value`` lines, blanks and ``#`` comments skipped."""
    if path is None:
        return {}
    headers: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{path}:{number}: a header line is `Name: value`")
        headers[name.strip()] = value.strip()
    return headers
