"""Evidence: every raw exchange kept in the run's WARC file, secrets redacted first.

Each exchange is a response record followed by its request record (gzip per record), so an
observation can point at its response by file offset. Cookies, authorisation headers and
token-bearing query parameters never reach the file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from snapshots.format import SnapshotError

if TYPE_CHECKING:  # only the runner hands responses over; readers never load httpx
    import httpx

__all__ = ["EvidenceRef", "EvidenceWriter", "Exchange", "Redactor", "read_exchange"]

REDACTED = "REDACTED"
SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "authorization", "proxy-authorization", "x-csrf-token"}
)
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "token",
        "api_key",
        "apikey",
        "key",
        "auth",
        "sig",
        "signature",
        "session",
        "sessionid",
    }
)
_GZIP_LEVEL = 6
_DECODED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Redactor:
    """Which headers and query parameters hold secrets (names compared case-insensitively)."""

    headers: frozenset[str] = SECRET_HEADERS
    params: frozenset[str] = SECRET_PARAMS

    def with_params(self, extra: Iterable[str]) -> Redactor:
        return Redactor(self.headers, self.params | {name.lower() for name in extra})

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return url
        pairs = [
            (name, REDACTED if name.lower() in self.params else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(pairs)))

    def header_list(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (name, REDACTED if name.lower() in self.headers else value) for name, value in headers
        ]


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as the runner saw them, already redacted."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes = field(repr=False)

    @classmethod
    def capture(cls, response: httpx.Response, redactor: Redactor) -> Exchange:
        request = response.request
        return cls(
            method=request.method,
            url=redactor.url(str(request.url)),
            request_headers=redactor.header_list(request.headers.multi_items()),
            status=response.status_code,
            reason=response.reason_phrase or "",
            http_version=response.http_version or "HTTP/1.1",
            response_headers=redactor.header_list(response.headers.multi_items()),
            body=response.content,
        )

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(frozen=True)
class EvidenceRef:
    sha256: str
    offset: int
    length: int

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "offset": self.offset, "length": self.length}


class EvidenceWriter:
    """Appends exchanges to a gzip-per-record WARC file."""

    def __init__(self, path: Path, *, truncate_at: int | None = None) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("ab")
        if truncate_at is not None:
            # Drop records written after the last committed observation (a kill mid-write).
            self._file.truncate(truncate_at)
        self._file.seek(0, os.SEEK_END)
        # warcio builds the records (headers, digests); each is then compressed here as its
        # own gzip member. warcio's own gzip runs at level 9, several times slower than 6
        # for a few percent of size, and evidence is written on the runner's hot path.
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False)

    def write(self, exchange: Exchange, key: str) -> EvidenceRef:
        offset = self._file.tell()
        target = exchange.url
        split = urlsplit(target)
        response_headers = [
            (name, value)
            for name, value in exchange.response_headers
            if name.lower() not in _DECODED
        ]
        response_headers.append(("Content-Length", str(len(exchange.body))))
        http_response = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(),
            response_headers,
            protocol=exchange.http_version,
        )
        response = self._writer.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(exchange.body),
            http_headers=http_response,
            warc_headers_dict={"WARC-Censorprobe-Key": key},
        )
        path = split.path or "/"
        request_line = f"{exchange.method} {path}{'?' + split.query if split.query else ''} {exchange.http_version}"
        request = self._writer.create_warc_record(
            target,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(
                request_line, exchange.request_headers, is_http_request=True
            ),
            warc_headers_dict={
                "WARC-Censorprobe-Key": key,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        for record in (response, request):
            self._file.write(gzip.compress(self._serialise(record), compresslevel=_GZIP_LEVEL))
        self._file.flush()
        return EvidenceRef(exchange.sha256, offset, self._file.tell() - offset)

    def _serialise(self, record: ArcWarcRecord) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        return self._buffer.getvalue()

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class StoredExchange:
    key: str
    target: str
    date: str
    request_head: str
    response_head: str
    body: bytes


def read_exchange(path: Path, offset: int) -> StoredExchange:
    """The response record at ``offset`` and the request record after it.

    A damaged file (warcio and zlib raise many kinds of errors on one) is a
    :class:`SnapshotError` naming the file and offset, so readers can show it and go on.
    """
    try:
        return _read_exchange(path, offset)
    except SnapshotError:
        raise
    except Exception as exc:  # noqa: BLE001 - every way a damaged record fails means the same
        raise SnapshotError(
            f"{path}: no readable record at offset {offset} ({type(exc).__name__})"
        ) from None


def _read_exchange(path: Path, offset: int) -> StoredExchange:
    with path.open("rb") as stream:
        stream.seek(offset)
        records = iter(ArchiveIterator(stream))
        response = next(records, None)
        if response is None:
            raise SnapshotError(f"{path}: no WARC record at offset {offset}")
        body = response.content_stream().read()
        response_head = response.http_headers.to_str() if response.http_headers else ""
        request = next(records, None)
        request_head = (
            request.http_headers.to_str() if request is not None and request.http_headers else ""
        )
        return StoredExchange(
            key=response.rec_headers.get_header("WARC-Censorprobe-Key") or "",
            target=response.rec_headers.get_header("WARC-Target-URI") or "",
            date=response.rec_headers.get_header("WARC-Date") or "",
            request_head=request_head,
            response_head=response_head,
            body=body,
        )
