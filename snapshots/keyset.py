"""A compact set of strings: a run's done keys, a list's ids.

A Python ``set`` of a million probe keys takes over 100 MB; this keeps a 16-byte BLAKE2b
digest per member in one open-addressing table (at most two thirds full), about 24-48 bytes
a member. Membership by digest: two different strings count as one with a probability
around n²/2¹²⁹, nil for any list or run.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import blake2b

__all__ = ["KeySet"]

_WIDTH = 16
_EMPTY = bytes(_WIDTH)


def _digest(key: str) -> bytes:
    digest = blake2b(key.encode("utf-8", "surrogatepass"), digest_size=_WIDTH).digest()
    return digest if digest != _EMPTY else b"\x01" + digest[1:]


class KeySet:
    """``add``, ``in`` and ``len`` of a set of strings, in flat memory."""

    __slots__ = ("_count", "_mask", "_table")

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._table = bytearray(_WIDTH * 64)
        self._mask = 63
        self._count = 0
        for key in keys:
            self.add(key)

    def _slot(self, digest: bytes) -> tuple[int, bool]:
        """Where ``digest`` is (True) or would go (False)."""
        table, mask = self._table, self._mask
        index = int.from_bytes(digest[:8], "little") & mask
        while True:
            at = index * _WIDTH
            held = table[at : at + _WIDTH]
            if held == digest:
                return at, True
            if held == _EMPTY:
                return at, False
            index = (index + 1) & mask

    def add(self, key: str) -> None:
        self.claim(key)

    def claim(self, key: str) -> bool:
        """Add ``key``; False if it was there already."""
        digest = _digest(key)
        at, found = self._slot(digest)
        if found:
            return False
        self._table[at : at + _WIDTH] = digest
        self._count += 1
        if self._count * 3 > (self._mask + 1) * 2:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._table = bytearray(len(old) * 2)
        self._mask = self._mask * 2 + 1
        for at in range(0, len(old), _WIDTH):
            digest = bytes(old[at : at + _WIDTH])
            if digest != _EMPTY:
                slot, _ = self._slot(digest)
                self._table[slot : slot + _WIDTH] = digest

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._slot(_digest(key))[1]

    def __len__(self) -> int:
        return self._count
