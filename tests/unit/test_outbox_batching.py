"""Property tests of PutEvents batching: nothing lost, duplicated or reordered; limits respected."""

import itertools

from hypothesis import given
from hypothesis import strategies as st

from order_store.events import PUT_EVENTS_MAX_BYTES, PutEventsEntry, entry_size
from outbox_publisher.logic import batch_items

sizes = st.lists(st.integers(min_value=0, max_value=PUT_EVENTS_MAX_BYTES), max_size=60)


@given(sizes)
def test_batching_keeps_every_item_once_in_order(item_sizes: list[int]) -> None:
    # Given items identified by position, with arbitrary sizes up to the request limit
    items = list(enumerate(item_sizes))
    # When batched
    batches = batch_items(items, lambda item: item[1])
    # Then concatenating the batches gives back exactly the input: no loss, duplicate or reordering
    assert [item for batch in batches for item in batch] == items
    assert all(batch for batch in batches)


@given(sizes)
def test_batches_respect_the_count_and_byte_limits(item_sizes: list[int]) -> None:
    # Given items no larger than a PutEvents request
    # When batched
    batches = batch_items(item_sizes, lambda size: size)
    # Then every batch has at most 10 entries and at most 256 KiB
    assert all(len(batch) <= 10 for batch in batches)
    assert all(sum(batch) <= PUT_EVENTS_MAX_BYTES for batch in batches)


@given(sizes)
def test_batches_are_greedy(item_sizes: list[int]) -> None:
    # Given any items / When batched
    batches = batch_items(item_sizes, lambda size: size)
    # Then a batch was only closed because the next item would not fit (so no needless requests)
    for batch, following in itertools.pairwise(batches):
        assert len(batch) == 10 or sum(batch) + following[0] > PUT_EVENTS_MAX_BYTES


@given(st.lists(st.integers(min_value=0, max_value=3 * PUT_EVENTS_MAX_BYTES), max_size=30))
def test_an_oversized_item_travels_alone_instead_of_being_dropped(item_sizes: list[int]) -> None:
    # Given items of which some exceed the request limit on their own
    # When batched
    batches = batch_items(item_sizes, lambda size: size)
    # Then nothing is lost, and an oversized item is always alone in its batch (the bus rejects it
    # as a failed entry, which is reported and released instead of vanishing)
    assert [size for batch in batches for size in batch] == item_sizes
    assert all(len(batch) == 1 for batch in batches if sum(batch) > PUT_EVENTS_MAX_BYTES)


@given(st.lists(st.text(max_size=3000), min_size=1, max_size=25))
def test_real_entries_are_sized_by_the_eventbridge_rule(details: list[str]) -> None:
    # Given real entries with arbitrary (multi-byte) details
    entries = [
        PutEventsEntry(source="src", detail_type="T", detail=text, event_bus_name="bus") for text in details
    ]
    # When batched with the small test limit of 4 KiB
    batches = batch_items(entries, entry_size, max_bytes=4096)
    # Then the UTF-8 size rule decides, and nothing is lost
    assert [entry for batch in batches for entry in batch] == entries
    assert all(len(batch) == 1 or sum(entry_size(e) for e in batch) <= 4096 for batch in batches)
