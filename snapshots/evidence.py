"""Evidence: every raw exchange kept in the run's WARC file, secrets redacted first.

The file opens with a ``warcinfo`` record (tool, version, run id); then each exchange is a
response record followed by its request record, each its own gzip member, so an
observation can point at its response by file offset.

**The redaction rule** (docs/architecture.md, "Every platform is hostile") is defined here
once, for the WARC, the observations and whatever else prints a URL (:func:`redact_url`):

- every header the user gave (``--headers``) is secret, whatever its name;
- so is any header or query parameter whose name says it holds a credential: a word of it
  (split at punctuation and camelCase) contains ``token``, ``secret``, ``passw``,
  ``session``, ``cookie``, ``csrf``, ``xsrf`` or ``credential``, starts with ``auth``, ends
  with ``key`` (``api_key``, ``apikey``, ``X-Api-Key``; not ``keyword``, the query of
  Bilibili and Douyin) or is ``sig``/``signature``. That covers ``Cookie``, ``Set-Cookie``,
  ``Authorization`` and ``Proxy-Authorization``;
- so are the parameters named with ``--redact-param``, and the user and password of a URL.

A secret is kept only as its name. The values of the request's secrets are also cut out of
the response (its headers and body), in case the platform echoes them. Values that become
WARC headers are escaped: a control character (CR, LF, ...) cannot start a header of its own.

Records are built here rather than by warcio's builder, which cost 0.35 ms an exchange (more
than the exchange itself on loopback; ``benchmarks/bench_runner.py``); warcio reads them,
and the tests check every file with ``warcio check`` and ``warcio index``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus, urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from snapshots.format import TOOL, SnapshotError, read_manifest

if TYPE_CHECKING:  # only the runner hands responses over; readers never load httpx
    import httpx

__all__ = [
    "REDACTED",
    "EvidenceRef",
    "EvidenceWriter",
    "Exchange",
    "Redactor",
    "StoredExchange",
    "is_secret_name",
    "read_exchange",
    "redact_url",
]

REDACTED = "REDACTED"
WARC_VERSION = "WARC/1.1"
_SECRET_PARTS = ("token", "secret", "passw", "session", "cookie", "csrf", "xsrf", "credential")
_SECRET_WORDS = frozenset({"sig", "signature"})
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: Headers whose value is a URL, whose secret parameters are redacted like any URL's.
_URL_HEADERS = frozenset({"location", "content-location", "referer"})
#: A request's secret values shorter than this are not cut out of responses (too common).
_SHORTEST_ECHO = 8
_DECODED = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_PIECES = re.compile(r"[\s;,=]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@lru_cache(maxsize=4096)  # bounded: a platform may send new header names every time
def is_secret_name(name: str) -> bool:
    """Whether a header or query parameter name says it holds a credential (the rule above)."""
    for word in (match.lower() for match in _WORD.findall(name)):
        if word in _SECRET_WORDS or word.startswith("auth") or word.endswith("key"):
            return True
        if any(part in word for part in _SECRET_PARTS):
            return True
    return False


@dataclass(frozen=True)
class Redactor:
    """The redaction rule, with the run's own secrets: the names of the headers the user
    gave and the parameters named with ``--redact-param`` (names compared case-insensitively)."""

    headers: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()

    def with_params(self, extra: Iterable[str]) -> Redactor:
        return Redactor(self.headers, self.params | {name.lower() for name in extra})

    def with_headers(self, given: Iterable[str]) -> Redactor:
        """Every header the user gave is secret, whatever its name."""
        return Redactor(self.headers | {name.lower() for name in given}, self.params)

    def secret_header(self, name: str) -> bool:
        return name.lower() in self.headers or is_secret_name(name)

    def secret_param(self, name: str) -> bool:
        return name.lower() in self.params or is_secret_name(name)

    def url(self, url: str) -> str:
        """The URL with its user, password and secret parameters (query or fragment) redacted.

        Only those are rewritten; the rest of the URL is kept as it was, byte for byte."""
        if "?" not in url and "@" not in url and "#" not in url:
            return url
        start, userinfo, rest, query, fragment = _split_url(url)
        if userinfo:
            start += f"{REDACTED}@"
        shown = start + rest
        if query is not None:
            shown += "?" + self._pairs(query)
        if fragment is not None:
            shown += "#" + self._pairs(fragment)
        return shown

    def _pairs(self, text: str) -> str:
        if "=" not in text:
            return text
        pieces = text.split("&")
        for number, piece in enumerate(pieces):
            name, sep, _ = piece.partition("=")
            if sep and self.secret_param(unquote_plus(name)):
                pieces[number] = f"{name}={REDACTED}"
        return "&".join(pieces)

    def header_list(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(name, self.header_value(name, value)) for name, value in headers]

    def header_value(self, name: str, value: str) -> str:
        if self.secret_header(name):
            return REDACTED
        return self.url(value) if name.lower() in _URL_HEADERS else value

    def secret_values(self, url: str, headers: Iterable[tuple[str, str]]) -> list[str]:
        """The values a request holds in secret, longest first: to be cut out of whatever
        comes back."""
        found = [value for name, value in headers if self.secret_header(name)]
        found += [piece for value in list(found) for piece in _PIECES.split(value)]
        if "?" in url or "#" in url or "@" in url:
            found += self._url_secrets(url)
        return sorted({value for value in found if len(value) >= _SHORTEST_ECHO}, key=len)[::-1]

    def _url_secrets(self, url: str) -> list[str]:
        _, userinfo, _, query, fragment = _split_url(url)
        found = userinfo.split(":")
        for text in (query or "", fragment or ""):
            for piece in text.split("&") if "=" in text else ():
                name, sep, value = piece.partition("=")
                if sep and self.secret_param(unquote_plus(name)):
                    found += [value, unquote_plus(value)]
        return found


def _split_url(url: str) -> tuple[str, str, str, str | None, str | None]:
    """``scheme://``, the user and password, the rest up to the query, the query, the fragment
    (``None`` when absent). Plain string work: a URL that urllib cannot parse is split too."""
    head, hash_sign, fragment = url.partition("#")
    head, question_mark, query = head.partition("?")
    scheme, sep, rest = head.partition("//")
    if not sep or ("/" in scheme.rstrip(":")):  # no authority: nothing before the path
        scheme, rest = "", head
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    start = scheme + sep if at else ""
    return (
        start,
        userinfo,
        (host + slash + path) if at else head,
        query if question_mark else None,
        fragment if hash_sign else None,
    )


def redact_url(url: str, extra_params: Iterable[str] = ()) -> str:
    """A URL as results, logs and messages may show it (the redaction rule of this module)."""
    return Redactor().with_params(extra_params).url(url)


def _scrub_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _scrub_body(body: bytes, secrets: list[str]) -> bytes:
    for secret in secrets:
        for form in {secret, quote(secret, safe="")}:
            body = body.replace(form.encode("utf-8"), REDACTED.encode())
    return body


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
        url = str(request.url)
        sent = request.headers.multi_items()
        echoes = redactor.secret_values(url, sent)
        received = redactor.header_list(response.headers.multi_items())
        if echoes:
            received = [(name, _scrub_text(value, echoes)) for name, value in received]
        return cls(
            method=request.method,
            url=redactor.url(url),
            request_headers=redactor.header_list(sent),
            status=response.status_code,
            reason=response.reason_phrase or "",
            http_version=response.http_version or "HTTP/1.1",
            response_headers=received,
            body=_scrub_body(response.content, echoes) if echoes else response.content,
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


def _header_value(value: str) -> str:
    """A value safe to write as a WARC header: control characters percent-escaped."""
    if _CONTROL.search(value) is None:
        return value
    return _CONTROL.sub(lambda found: quote(found.group(), safe=""), value)


def _sha1(block: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode("ascii")


def _gzip(data: bytes) -> bytes:
    """One gzip member. The window is sized to the data: zlib's full 32 KiB window and
    hash (about 256 KiB to set up) cost more than compressing a small record; a window at
    least as long as the data compresses it just as well."""
    bits = max(9, min(15, (len(data) - 1).bit_length()))
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + bits, max(1, min(8, bits - 7)))
    return packer.compress(data) + packer.flush()


def _record(kind: str, headers: list[tuple[str, str]], block: bytes, content_type: str) -> bytes:
    lines = [WARC_VERSION, f"WARC-Type: {kind}"]
    lines += [f"{name}: {_header_value(value)}" for name, value in headers]
    lines += [
        f"Content-Type: {content_type}",
        f"WARC-Block-Digest: {_sha1(block)}",
        f"Content-Length: {len(block)}",
        "",
        "",
    ]
    return _gzip("\r\n".join(lines).encode("utf-8") + block + b"\r\n\r\n")


def _http_head(start: str, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [start, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("utf-8")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _record_id() -> str:
    return f"<{uuid.uuid4().urn}>"


class EvidenceWriter:
    """Appends exchanges to a gzip-per-record WARC file that opens with its warcinfo record.

    ``truncate_at`` drops what was written after the last record an observation points at (a
    kill mid-write); a file left empty gets its warcinfo record again. ``run_id`` defaults to
    the name of the run folder the file is in.
    """

    def __init__(
        self, path: Path, *, truncate_at: int | None = None, run_id: str | None = None
    ) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("ab")
        if truncate_at is not None:
            self._file.truncate(truncate_at)
        self._end = self._file.seek(0, 2)
        if self._end == 0:
            self._append(self._warcinfo(run_id or path.parent.name))
            self._file.flush()

    def _warcinfo(self, run_id: str) -> bytes:
        fields = [
            ("software", f"{TOOL['name']}/{TOOL['version']}"),
            ("format", "WARC File Format 1.1"),
            (
                "conformsTo",
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            ),
            ("censorprobe-run-id", run_id),
        ]
        block = "".join(f"{name}: {_header_value(value)}\r\n" for name, value in fields)
        headers = [
            ("WARC-Record-ID", _record_id()),
            ("WARC-Date", _now()),
            ("WARC-Filename", self.path.name),
        ]
        return _record("warcinfo", headers, block.encode("utf-8"), "application/warc-fields")

    def _append(self, data: bytes) -> None:
        self._file.write(data)
        self._end += len(data)

    def write(self, exchange: Exchange, key: str) -> EvidenceRef:
        """The exchange as a response and a request record, flushed; where the response is."""
        offset = self._end
        date, response_id = _now(), _record_id()
        common = [("WARC-Date", date), ("WARC-Target-URI", exchange.url)]
        common.append(("WARC-Censorprobe-Key", key))
        body = exchange.body
        kept = [
            (name, value)
            for name, value in exchange.response_headers
            if name.lower() not in _DECODED
        ]
        kept.append(("Content-Length", str(len(body))))
        status = f"{exchange.http_version} {exchange.status} {exchange.reason}".rstrip()
        self._append(
            _record(
                "response",
                [("WARC-Record-ID", response_id), *common, ("WARC-Payload-Digest", _sha1(body))],
                _http_head(status, kept) + body,
                "application/http; msgtype=response",
            )
        )
        split = urlsplit(exchange.url)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        request_line = f"{exchange.method} {target} {exchange.http_version}"
        self._append(
            _record(
                "request",
                [("WARC-Record-ID", _record_id()), *common, ("WARC-Concurrent-To", response_id)],
                _http_head(request_line, exchange.request_headers),
                "application/http; msgtype=request",
            )
        )
        self._file.flush()
        return EvidenceRef(exchange.sha256, offset, self._end - offset)

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


def _given_headers(warc: Path) -> list[str]:
    """The names of the headers the run was given, from the manifest beside the WARC."""
    try:
        headers = read_manifest(warc.parent).get("config", {}).get("headers", [])
    except (SnapshotError, OSError, ValueError, AttributeError):
        return []
    return [name for name in headers if isinstance(name, str)] if isinstance(headers, list) else []


def _shown(head: StatusAndHeaders | None, redactor: Redactor) -> str:
    """An HTTP head as text, the redaction rule applied again (a WARC from an older version)."""
    if head is None:
        return ""
    start = head.statusline
    if head.protocol and " " in start:  # a request line: METHOD TARGET
        method, _, target = start.partition(" ")
        start = f"{method} {redactor.url(target)}"
    shown = StatusAndHeaders(start, redactor.header_list(head.headers), protocol=head.protocol)
    return str(shown.to_str())


def read_exchange(path: Path, offset: int) -> StoredExchange:
    """The response record at ``offset`` and the request record after it, redacted by the rule.

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
    redactor = Redactor().with_headers(_given_headers(path))
    with path.open("rb") as stream:
        stream.seek(offset)
        records = iter(ArchiveIterator(stream))
        response = next(records, None)
        if response is None:
            raise SnapshotError(f"{path}: no WARC record at offset {offset}")
        if response.rec_type != "response" or not response.rec_headers.get_header("WARC-Record-ID"):
            # warcio reads what it can of a damaged member; what it made of it is no record
            raise SnapshotError(
                f"{path}: no readable record at offset {offset} (not a WARC response record)"
            )
        body = response.content_stream().read()
        response_head = _shown(response.http_headers, redactor)
        request = next(records, None)
        request_head = _shown(request.http_headers if request is not None else None, redactor)
        return StoredExchange(
            key=response.rec_headers.get_header("WARC-Censorprobe-Key") or "",
            target=redactor.url(response.rec_headers.get_header("WARC-Target-URI") or ""),
            date=response.rec_headers.get_header("WARC-Date") or "",
            request_head=request_head,
            response_head=response_head,
            body=body,
        )
