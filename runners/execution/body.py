"""A response body decoded as it arrives and refused past a cap (docs/architecture.md, "Every
platform is hostile").

The cap holds on the wire and after every layer of decoding, so a gzip bomb (1 MB sent, 1 GB
inflated) stops at the cap: each layer inflates at most what the cap leaves, never the
whole chunk. Encodings other than gzip and deflate are never asked for (the fetch sends
``Accept-Encoding: gzip, deflate``); a platform that sends one anyway gets its bytes kept as
they came, as httpx does with an encoding it cannot decode, and its adapter reads a page it
does not recognise.
"""

from __future__ import annotations

import zlib

import httpx

__all__ = ["ACCEPT_ENCODING", "CappedBody"]

ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class _Inflater:
    """One layer of decoding that never yields more than it is allowed to."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflate = zlib.decompressobj(wbits)
        self._seen = b""  # input kept until the first output, to retry deflate without a header
        self.produced = 0

    def feed(self, data: bytes, limit: int) -> tuple[bytes, bool]:
        """Up to ``limit`` decoded bytes, and whether more were waiting (the cap is passed)."""
        try:
            out = self._inflate.decompress(data, limit)
        except zlib.error:
            if self._wbits != zlib.MAX_WBITS or self.produced:
                raise
            # "deflate" is meant with a zlib header; some servers send it raw (httpx allows it).
            self._wbits = -zlib.MAX_WBITS
            self._inflate = zlib.decompressobj(self._wbits)
            out = self._inflate.decompress(self._seen + data, limit)
        if self.produced == 0 and not out:
            self._seen += data
        else:
            self._seen = b""
        self.produced += len(out)
        return out, bool(self._inflate.unconsumed_tail) or len(out) >= limit

    def flush(self) -> bytes:
        out = self._inflate.flush()
        self.produced += len(out)
        return out


class CappedBody:
    """Collects a body from raw chunks; :attr:`over` once it passes ``cap`` bytes anywhere."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        self.cap = cap
        self.wire = 0
        self.over = False
        self._data = bytearray()
        names = [name.strip().lower() for name in (content_encoding or "").split(",")]
        # Encodings are listed in the order they were applied: undo the last first.
        self._layers = [_Inflater(_WBITS[name]) for name in reversed(names) if name in _WBITS]

    @property
    def data(self) -> bytes:
        """What was read, decoded, up to the cap."""
        return bytes(self._data[: self.cap])

    def feed(self, raw: bytes) -> None:
        """Add a chunk as it came off the wire (raises ``httpx.DecodingError`` for a bad one)."""
        if self.over:
            return
        self.wire += len(raw)
        self.over = self.wire > self.cap
        self._keep(self._decode(raw, end=False))

    def finish(self) -> None:
        """The body ended: decode what the layers still hold."""
        if not self.over:
            self._keep(self._decode(b"", end=True))

    def _decode(self, data: bytes, *, end: bool) -> bytes:
        try:
            for layer in self._layers:
                out = b""
                if data:
                    out, passed = layer.feed(data, max(1, self.cap + 1 - layer.produced))
                    self.over = self.over or passed
                if end and not self.over:
                    out += layer.flush()
                data = out
        except zlib.error as exc:
            raise httpx.DecodingError(f"the body could not be decoded: {exc}") from exc
        return data

    def _keep(self, data: bytes) -> None:
        room = self.cap + 1 - len(self._data)
        self._data += data[:room]
        if len(self._data) > self.cap:
            self.over = True
