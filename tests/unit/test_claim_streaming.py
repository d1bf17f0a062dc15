"""One streamed pass over a payload: size, SHA-256 and line-aligned ranges, whatever the chunking."""

import hashlib
import itertools
import threading
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claim_check.streaming import MAX_LINE_BYTES, digest_of, lines, measure, read_ahead

payloads = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30).flatmap(
    lambda parts: st.sampled_from([b"\n".join(parts), b"\n".join(parts) + b"\n", b"\r\n".join(parts)])
)


def _chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=200, deadline=None)
@given(
    payload=payloads,
    cuts=st.lists(st.integers(min_value=0, max_value=1500), max_size=8),
    size=st.integers(1, 120),
)
def test_ranges_cover_the_payload_in_whole_lines_whatever_the_chunks(
    payload: bytes, cuts: list[int], size: int
) -> None:
    # Given any payload, split into arbitrary chunks, and any target range size
    chunks = _chunked(payload, cuts)
    # When it is measured in one pass
    measured = measure(chunks, size)
    # Then size and digest are the payload's
    assert measured.size == len(payload)
    assert measured.sha256 == hashlib.sha256(payload).hexdigest()
    # And the ranges are contiguous, cover every byte, and end on a newline (or the end)
    position, line = 0, 1
    for piece in measured.ranges:
        assert piece.start == position and piece.end >= piece.start
        assert piece.first_line == line
        body = payload[piece.start : piece.end + 1]
        assert body.endswith(b"\n") or piece.end == len(payload) - 1
        position, line = piece.end + 1, line + body.count(b"\n")
    assert position == len(payload)
    # And reading each range's lines gives back every line of the payload, numbered
    numbered = [
        (entry.number, entry.content)
        for piece in measured.ranges
        for entry in lines(_chunked(payload[piece.start : piece.end + 1], cuts), piece.first_line)
    ]
    expected = payload.split(b"\n")
    if payload.endswith(b"\n"):
        expected = expected[:-1]
    assert numbered == list(enumerate(expected, start=1)) if payload else numbered == []


def test_an_empty_payload_has_no_ranges() -> None:
    measured = measure([], 1024)
    assert (measured.size, measured.ranges) == (0, [])
    assert measured.sha256 == hashlib.sha256(b"").hexdigest()
    assert digest_of([]) == (0, hashlib.sha256(b"").hexdigest())


def test_a_line_longer_than_the_limit_is_reported_not_held() -> None:
    # Given a giant line between two normal ones, delivered in small chunks
    giant = b"x" * (MAX_LINE_BYTES * 3)
    payload = b'{"a":1}\n' + giant + b'\n{"b":2}'
    chunks = [payload[i : i + 4096] for i in range(0, len(payload), 4096)]
    # When its lines are read / Then the giant one has no content, the others are intact
    assert [(entry.number, entry.content) for entry in lines(chunks, 7)] == [
        (7, b'{"a":1}'),
        (8, None),
        (9, b'{"b":2}'),
    ]


def test_a_range_ends_at_the_first_newline_after_its_target_size() -> None:
    payload = b"aaaa\nbb\ncccccc\nd\n"
    assert [(r.start, r.end, r.first_line) for r in measure([payload], 6).ranges] == [
        (0, 7, 1),
        (8, 14, 3),
        (15, 16, 4),
    ]


def test_read_ahead_hands_over_every_chunk_in_order_and_raises_the_sources_error() -> None:
    def source() -> Iterator[bytes]:
        yield b"a"
        yield b"b"
        raise ConnectionResetError("the stream broke")

    received: list[bytes] = []
    with pytest.raises(ConnectionResetError, match="broke"):
        received.extend(read_ahead(source()))
    assert received == [b"a", b"b"]


def test_a_consumer_that_stops_early_stops_the_helper() -> None:
    produced: list[int] = []

    def endless() -> Iterator[bytes]:
        n = 0
        while True:
            produced.append(n)
            n += 1
            yield b"x"

    reader = read_ahead(endless(), depth=2)
    assert next(reader) == b"x"
    reader.close()
    settled = len(produced)
    assert settled <= 5  # the depth, the chunk in hand, and the one being put back
    assert not any(t.name == "read-ahead" and t.is_alive() for t in threading.enumerate())


def test_a_large_payload_is_measured_in_bounded_memory() -> None:
    # Given a 256 MiB payload produced 1 MiB at a time (never held whole)
    block = (b'{"customerId":"c","note":"' + b"x" * 200 + b'"}\n') * 4096
    total = 256 * 1024 * 1024

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            piece = block[: min(len(block), total - sent)]
            sent += len(piece)
            yield piece

    # When it is measured / Then the pass needed a few chunks of memory, not the payload's size
    tracemalloc.start()
    try:
        measured = measure(chunks(), 8 * 1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert measured.size == total and len(measured.ranges) == 32
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
