"""Size, SHA-256 and line-aligned byte ranges of a payload, in one pass over its chunks.

Memory stays at one chunk whatever the payload's size: the digest is updated chunk by chunk,
lines are counted with ``bytes.count`` and a range is cut at the first newline after its
target size, so no line is ever split between two Map children.
"""

import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from claim_check.models import ByteRange

MAX_LINE_BYTES = 64 * 1024
"""A line longer than this is rejected (an order body is at most 32 KiB) without being held
in memory whole."""


READ_AHEAD_CHUNKS = 2
"""Chunks fetched while the current one is hashed: hashlib releases the GIL, so reading the
network and hashing overlap, and memory grows by this many chunks only."""
_DONE = object()


def read_ahead(chunks: Iterable[bytes], depth: int = READ_AHEAD_CHUNKS) -> Iterator[bytes]:
    """``chunks``, fetched by a helper thread up to ``depth`` chunks ahead of the consumer. An
    error of the source is raised to the consumer; a consumer that stops early stops the helper."""
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        ahead.put(chunk, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            ahead.put(error)

    helper = threading.Thread(target=fetch, name="read-ahead", daemon=True)
    helper.start()
    try:
        while True:
            item = ahead.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, bytes)
            yield item
    finally:
        stop.set()
        while not ahead.empty():
            ahead.get_nowait()
        helper.join(timeout=5)


@dataclass
class Measurement:
    """What one streamed pass learnt about a payload."""

    size: int = 0
    sha256: str = ""
    ranges: list[ByteRange] = field(default_factory=list)


def measure(chunks: Iterable[bytes], range_bytes: int) -> Measurement:
    """Stream ``chunks`` once: total size, hex SHA-256, and ranges of about ``range_bytes``
    (whole lines; the last range takes what is left, with or without a final newline)."""
    if range_bytes < 1:
        raise ValueError("range_bytes must be positive")
    digest = hashlib.sha256()
    ranges: list[ByteRange] = []
    size = 0
    start = 0
    first_line = 1
    newlines = 0
    for chunk in read_ahead(chunks):
        digest.update(chunk)
        offset = 0
        while True:
            threshold = start + range_bytes - 1 - size
            if threshold >= len(chunk):
                break
            newline = chunk.find(b"\n", max(threshold, offset))
            if newline == -1:
                break
            newlines += chunk.count(b"\n", offset, newline + 1)
            ranges.append(ByteRange(start=start, end=size + newline, first_line=first_line))
            first_line = newlines + 1
            start = size + newline + 1
            offset = newline + 1
        newlines += chunk.count(b"\n", offset)
        size += len(chunk)
    if start < size:
        ranges.append(ByteRange(start=start, end=size - 1, first_line=first_line))
    return Measurement(size=size, sha256=digest.hexdigest(), ranges=ranges)


def digest_of(chunks: Iterable[bytes]) -> tuple[int, str]:
    """Size and hex SHA-256 of a stream (the verification pass: no ranges)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in read_ahead(chunks):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


@dataclass(frozen=True)
class Line:
    """One line of a range: its 1-based number, and its bytes without the newline (None when
    it was longer than MAX_LINE_BYTES, so it was skipped, not held)."""

    number: int
    content: bytes | None


def lines(chunks: Iterable[bytes], first_line: int, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """The lines of a range's chunks, numbered from ``first_line``; memory is bounded by
    ``max_line_bytes`` (a longer line is yielded with ``content=None``)."""
    number = first_line
    pending = bytearray()
    too_long = False
    for chunk in chunks:
        offset = 0
        while offset < len(chunk):
            newline = chunk.find(b"\n", offset)
            end = len(chunk) if newline == -1 else newline
            if not too_long:
                pending += chunk[offset:end]
                if len(pending) > max_line_bytes:
                    too_long = True
                    pending.clear()
            if newline == -1:
                break
            yield Line(number=number, content=None if too_long else bytes(pending))
            number += 1
            pending.clear()
            too_long = False
            offset = newline + 1
    if pending or too_long:
        yield Line(number=number, content=None if too_long else bytes(pending))
