"""The validated terms of a list, kept on disk and read back as often as a run needs.

A run reads a list once to validate it and then walks its terms once per platform (and once
more to count the plan). Keeping a million terms as Python objects would make the run's
memory grow with the list, so validated terms go to an anonymous temporary file in pickled
blocks of :data:`BLOCK` terms; each walk holds one block at a time. Several walks may be under
way at once (one per platform, interleaved by the event loop): every read seeks first.
The file is this process's own (created unlinked, mode 0600), so unpickling it is safe.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

from pydantic import BaseModel

__all__ = ["BLOCK", "Spool"]

BLOCK = 512
_LENGTH = struct.Struct("<I")

Model = TypeVar("Model", bound=BaseModel)


class Spool(Generic[Model]):
    """An append-then-read sequence of validated models, each with its source line."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="censorprobe-terms-")  # noqa: SIM115 (closed in close())
        self._lock = threading.Lock()
        self._block: list[tuple[int, Model]] = []
        self._count = 0
        self._end = 0

    def append(self, line: int, item: Model) -> None:
        self._block.append((line, item))
        self._count += 1
        if len(self._block) >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if not self._block:
            return
        data = pickle.dumps(self._block, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._file.seek(self._end)
            self._file.write(_LENGTH.pack(len(data)) + data)
            self._end = self._file.tell()
        self._block = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Model]:
        for _, _, item in self.entries():
            yield item

    def entries(self) -> Iterator[tuple[int, int, Model]]:
        """(index, line, item) of every item, in the order appended."""
        self._flush()
        offset, index = 0, 0
        while offset < self._end:
            with self._lock:
                self._file.seek(offset)
                (size,) = _LENGTH.unpack(self._file.read(_LENGTH.size))
                data = self._file.read(size)
            offset += _LENGTH.size + size
            for line, item in pickle.loads(data):
                yield index, line, item
                index += 1

    def close(self) -> None:
        self._file.close()

    def __del__(self) -> None:
        self._file.close()
