"""A run's evidence as a WACZ, the web-archive package ReplayWeb.page and pywb replay.

WACZ 1.1.1 (Webrecorder, specs.webrecorder.net/wacz/1.1.1): a ZIP holding

- ``archive/<run>.warc.gz``: the run's WARC as written (stored, not recompressed, so the
  index's offsets point into it);
- ``indexes/index.cdx``: CDXJ, one line per response record, ``<SURT> <14-digit timestamp>
  {json}`` sorted, with the fields and string values Webrecorder's ``cdxj-indexer`` writes;
- ``pages/pages.jsonl``: ``json-pages-1.0``, one page per response, titled with what the run
  concluded from it (query, platform, verdict), found through the observation whose evidence
  offset is the record's;
- ``datapackage.json``: every file with its sha256 and size.

The SURT form of a URL is computed here for the URLs runs record (http/https, percent-encoded
queries): scheme and ``www.`` dropped, host labels reversed, default port dropped, path and
query unescaped then minimally escaped and lowercased, query arguments sorted (empty ones
kept), trailing slash dropped. tests/test_evidence_pack.py checks it against ``cdxj-indexer``'s own index.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.timeutils import iso_date_to_timestamp

from snapshots.format import EVIDENCE, TOOL, SnapshotError, iter_observations, utc_now
from snapshots.store import Snapshot

__all__ = ["WACZ_VERSION", "PackResult", "pack_wacz", "surt"]

WACZ_VERSION = "1.1.1"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WWW = re.compile(r"^www\d*\.")
#: Printable ASCII stays as it is in a SURT, but for ``#`` and ``%`` (GoogleURLCanonicalizer).
_SAFE = b"""!"$&'()*+,-./:;<=>?@[\\]^_`{|}~"""
_CHUNK = 1 << 20


def _minimal(text: str) -> str:
    """Unescape repeatedly, then escape once what is outside printable ASCII (and ``#``, ``%``)."""
    data = text.encode("utf-8")
    while (unescaped := unquote_to_bytes(data)) != data:
        data = unescaped
    return quote_from_bytes(data, safe=_SAFE)


def surt(url: str) -> str:
    """The Sort-friendly URI Reordering Transform of ``url``, as web-archive indexes key it."""
    parts = urlsplit(url)
    host = _WWW.sub("", (parts.hostname or "").lower().strip("."))
    key = ",".join(reversed(host.split(".")))
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        key += f":{parts.port}"
    path = _minimal(parts.path or "/").lower()
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    query = _minimal(parts.query).lower()
    return f"{key}){path}" + ("?" + "&".join(sorted(query.split("&"))) if query else "")


@dataclass(frozen=True)
class _Response:
    url: str
    date: str
    status: str
    mime: str
    digest: str
    offset: int
    length: int


def _responses(warc: Path) -> Iterator[_Response]:
    """The response records of ``warc`` with the offset and length of each (gzip member)."""
    with warc.open("rb") as stream:
        records = ArchiveIterator(stream)
        try:
            for record in records:
                if record.rec_type != "response":
                    continue
                headers = record.http_headers
                content_type = (headers.get_header("Content-Type") if headers else None) or ""
                yield _Response(
                    url=record.rec_headers.get_header("WARC-Target-URI") or "",
                    date=record.rec_headers.get_header("WARC-Date") or "",
                    status=headers.get_statuscode() if headers else "",
                    mime=content_type.split(";", 1)[0].strip().lower(),
                    digest=record.rec_headers.get_header("WARC-Payload-Digest") or "",
                    offset=records.get_record_offset(),
                    length=records.get_record_length(),
                )
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
            raise SnapshotError(
                f"{warc}: unreadable WARC record at byte {stream.tell()}: {exc}"
            ) from exc


def _titles(snapshot: Snapshot) -> dict[int, str]:
    """Response offset -> what the run concluded from that response, for the pages list."""
    titles: dict[int, str] = {}
    for observation in iter_observations(snapshot.folder):
        verdict = observation.get("verdict")
        how = observation.get("signal") or (observation.get("error") or {}).get("kind")
        role = observation.get("role")
        label = f"{observation.get('query')} on {observation.get('platform')}: {verdict}"
        label += f" ({how})" if how else ""
        label += f", control check {observation.get('check')}" if role == "control" else ""
        evidence = observation.get("evidence") or {}
        if "offset" in evidence:
            titles[evidence["offset"]] = label
        for step in (observation.get("confirmation") or {}).get("probes") or ():
            where = step.get("evidence") or {}
            if "offset" in where:
                titles[where["offset"]] = (
                    f"{step.get('query')} on {observation.get('platform')}: "
                    f"{step.get('verdict')} (confirmation, {step.get('role')})"
                )
    return titles


def _cdxj(response: _Response, filename: str) -> str:
    fields = {
        "url": response.url,
        "mime": response.mime,
        "status": response.status,
        "digest": response.digest,
        "length": str(response.length),
        "offset": str(response.offset),
        "filename": filename,
    }
    stamp = iso_date_to_timestamp(response.date)
    return f"{surt(response.url)} {stamp} {json.dumps(fields)}"


def _page(response: _Response, title: str | None) -> dict[str, Any]:
    page = {
        "id": hashlib.sha256(f"{response.offset}:{response.url}".encode()).hexdigest()[:32],
        "url": response.url,
        "ts": response.date,
    }
    if title:
        page["title"] = title
    return page


def _digest(stream: BinaryIO) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        sha.update(chunk)
        size += len(chunk)
    return f"sha256:{sha.hexdigest()}", size


@dataclass(frozen=True)
class PackResult:
    path: Path
    responses: int
    pages: int


def pack_wacz(snapshot: Snapshot, out: Path) -> PackResult:
    """Write ``snapshot``'s evidence to the WACZ file ``out`` (replaced when complete)."""
    warc = snapshot.folder / EVIDENCE
    if not warc.is_file():
        raise SnapshotError(
            f"run {snapshot.run_id} has no {EVIDENCE} (it ran with --no-evidence, "
            "or sent nothing yet)"
        )
    filename = f"{snapshot.run_id}.warc.gz"
    titles = _titles(snapshot)
    responses = list(_responses(warc))
    index = "".join(line + "\n" for line in sorted(_cdxj(r, filename) for r in responses))
    header = {
        "format": "json-pages-1.0",
        "id": "pages",
        "title": f"censorprobe run {snapshot.run_id}",
    }
    pages = [header] + [_page(r, titles.get(r.offset)) for r in responses]
    members: dict[str, bytes] = {
        "pages/pages.jsonl": "".join(
            json.dumps(p, ensure_ascii=False) + "\n" for p in pages
        ).encode(),
        "indexes/index.cdx": index.encode("utf-8"),
    }
    temporary = out.with_name(out.name + ".tmp")
    resources = []
    with zipfile.ZipFile(temporary, "w") as archive:
        archive.write(warc, f"archive/{filename}", compress_type=zipfile.ZIP_STORED)
        with warc.open("rb") as stream:
            digest, size = _digest(stream)
        resources.append((f"archive/{filename}", digest, size))
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            resources.append((name, *_digest(io.BytesIO(data))))
        created = utc_now()
        package = {
            "profile": "data-package",
            "wacz_version": WACZ_VERSION,
            "title": f"censorprobe run {snapshot.run_id}",
            "description": f"Evidence of censorprobe run {snapshot.run_id} ({snapshot.status}).",
            "created": created,
            "modified": created,
            "software": f"{TOOL['name']} {TOOL['version']}",
            "resources": [
                {"name": Path(path).name.lower(), "path": path, "hash": digest, "bytes": size}
                for path, digest, size in resources
            ],
        }
        archive.writestr(
            "datapackage.json",
            json.dumps(package, ensure_ascii=False, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    os.replace(temporary, out)
    return PackResult(out, len(responses), len(pages) - 1)
