"""The settings of one run, kept in its manifest so ``--resume`` needs nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DEFAULT_USER_AGENT", "RunConfig", "read_headers"]

DEFAULT_USER_AGENT = (
    "censorprobe/0.1 (keyword censorship measurement; +https://github.com/censorprobe/censorprobe)"
)


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lists: list[Path]
    platforms: list[str] = Field(min_length=1)
    base_urls: dict[str, str] = {}
    vantage: str = "local"
    #: Requests per second per platform; None = the adapter's polite default; 0 = unpaced.
    rate: float | None = None
    burst: int | None = None
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

    def public(self) -> dict[str, object]:
        """The config as the manifest keeps it: header values and proxy credentials left out."""
        data = self.model_dump(mode="json")
        data["headers"] = sorted(self.headers)
        if self.proxy and "@" in self.proxy:
            scheme, rest = self.proxy.split("://", 1)
            data["proxy"] = f"{scheme}://REDACTED@{rest.split('@', 1)[1]}"
        return data

    @classmethod
    def from_manifest(
        cls, stored: dict[str, Any], headers: dict[str, str] | None = None, proxy: str | None = None
    ) -> RunConfig:
        """The config of a run being resumed. Secrets are never in the manifest: header
        values and a proxy with credentials must be given again."""
        data = dict(stored)
        data["headers"] = headers or {}
        data["proxy"] = proxy or data.get("proxy")
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
