"""The options of the commands that probe, and the one builder of a ``RunConfig`` from them.

Every setting's default is :class:`runners.plan.config.RunConfig`'s: an option left out is
``None`` here (its help shows the config's default), so the builder can tell what was given.
That is what lets ``--resume`` change what may change (``--base-url``, ``--rate`` ...) and
refuse what may not, instead of silently using the manifest's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from runners.plan.config import RunConfig, read_headers

__all__ = [
    "Backoff",
    "BaseUrls",
    "Burst",
    "Concurrency",
    "ControlEvery",
    "FasterThanPolite",
    "MaxAttempts",
    "MaxBody",
    "Rate",
    "ReaskDelay",
    "ResultsFolder",
    "RunResultsFolder",
    "Timeout",
    "base_urls_of",
    "config_from_options",
    "header_file",
]


#: The results folder, in every command that reads one (run ids, ``latest`` and ``previous``
#: are looked up there).
ResultsFolder = Annotated[
    Path,
    typer.Option(
        "--results", "-r", metavar="DIR", help="Results folder (where run ids are looked up)."
    ),
]
#: The same folder for the commands that write a snapshot into it; ``--out`` is its older name.
RunResultsFolder = Annotated[
    Path,
    typer.Option(
        "--results",
        "-r",
        "--out",
        metavar="DIR",
        help="Results folder the snapshot is written in (--out: its older name).",
    ),
]


def _default(name: str) -> str:
    return f" (default {RunConfig.model_fields[name].default})"


BaseUrls = Annotated[
    list[str] | None,
    typer.Option(
        "--base-url",
        help="Point an adapter elsewhere (testbed, mirror): URL or PLATFORM=URL. "
        "With --resume: the run goes on there (recorded in the manifest).",
    ),
]
Rate = Annotated[
    float | None,
    typer.Option(
        min=0,
        help="Requests/s per platform (default: the adapter's polite pacing; 0 = unpaced, "
        "loopback only).",
    ),
]
Burst = Annotated[
    int | None, typer.Option(min=1, help="Burst size per platform (default: the adapter's).")
]
FasterThanPolite = Annotated[
    bool | None,
    typer.Option(
        "--faster-than-polite",
        help="Allow --rate/--burst above the adapter's polite pacing off loopback "
        "(recorded in the manifest).",
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(min=1, help="Probes in flight per platform." + _default("concurrency")),
]
MaxAttempts = Annotated[
    int | None,
    typer.Option(min=1, help="Attempts per probe, retries included." + _default("max_attempts")),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        help="Seconds for a whole exchange: connecting, headers, body and redirects."
        + _default("timeout")
    ),
]
MaxBody = Annotated[
    int | None,
    typer.Option(
        "--max-body",
        min=1024,
        metavar="BYTES",
        help="Most bytes one answer's body may be, counted after decoding (past it: error "
        "too_large)." + _default("max_body_bytes"),
    ),
]
Backoff = Annotated[
    float | None,
    typer.Option(min=0, help="First retry back-off in seconds (doubles)." + _default("backoff")),
]
ControlEvery = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Re-check the controls every N probes." + _default("control_every"),
    ),
]
ReaskDelay = Annotated[
    float | None,
    typer.Option(
        min=0,
        help="Seconds before a term that found nothing is asked again (confirmation)."
        + _default("reask_delay"),
    ),
]


def base_urls_of(values: list[str], platforms: list[str]) -> dict[str, str]:
    """``URL`` (for a single platform) or ``platform=URL``."""
    urls: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and not name.startswith("http"):
            urls[name] = url
        elif len(platforms) == 1:
            urls[platforms[0]] = value
        else:
            raise ValueError(f"--base-url {value!r}: with several platforms write PLATFORM=URL")
    return urls


def header_file(path: Path | None) -> dict[str, str] | None:
    """The headers of ``--headers FILE`` (None when not given); ValueError naming the file."""
    if path is None:
        return None
    try:
        return read_headers(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror or exc}") from None


def config_from_options(
    options: Mapping[str, Any], stored: Mapping[str, Any] | None = None
) -> RunConfig:
    """The run's config from the options given (None = not given).

    A new run takes ``RunConfig``'s default for each option not given. A resumed run
    (``stored``: its manifest's config) keeps its own settings and takes the options given
    as changes (:meth:`RunConfig.from_manifest` refuses those that cannot change).
    """
    given = {name: value for name, value in options.items() if value is not None}
    if "base_urls" in given:
        platforms = given.get("platforms") or list((stored or {}).get("platforms", []))
        given["base_urls"] = base_urls_of(given["base_urls"], platforms)
    if stored is not None:
        return RunConfig.from_manifest(dict(stored), given)
    return RunConfig(**given)
