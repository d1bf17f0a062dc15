"""SQS: a queue's arrivals, long polls and visibility on the virtual clock.

moto's queues wait and expire on the wall clock inside the request; the runtime's clock stands
still while anything can run, so a long poll never ended and a message given back never became
visible. Each patch is declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.utils import unix_time_millis
from moto.sqs.models import Message, Queue, SQSBackend

from local_runtime import clock
from local_runtime.moto_patches.declare import Gap, Patch, Replace, node
from local_runtime.moto_patches.source_writes import report_write

SERVICE = "sqs"
_TESTS = "tests/local_runtime/test_moto_patches.py"
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

_arrivals: dict[int, list[clock.VirtualEvent]] = {}
_delayed_lock = threading.Lock()
_DELAYED = "_runtime_delayed_messages"
"""The attribute of a queue holding the messages that arrived delayed and may still be: a queue's
next due time is read from these and its in-flight messages, not from a scan of its backlog (kept
on the queue, so it goes with it)."""

ARRIVALS = Replace(
    "add_message",
    SERVICE,
    Queue,
    "add_message",
    (
        Gap(
            "a message's arrival tells no one (a pipe reading the queue could only poll in real time)",
            node(_GAP_TESTS, "test_without_the_patch_an_arrival_tells_no_one"),
        ),
    ),
)


@ARRIVALS.by
def _add_message(self: Queue, message: Any) -> None:
    ARRIVALS.original(self, message)
    if message.delayed_until > unix_time_millis():
        with _delayed_lock:
            delayed = getattr(self, _DELAYED, None)
            if delayed is None:
                delayed = []
                setattr(self, _DELAYED, delayed)
            delayed.append(message)
    report_write(self.name)
    for arrived in _arrivals.pop(id(self), []):
        arrived.set()


LONG_POLL = Replace(
    "receive_message",
    SERVICE,
    SQSBackend,
    "receive_message",
    (
        Gap(
            "a long poll (WaitTimeSeconds) holds storage and never ends on a still clock",
            node(_GAP_TESTS, "test_without_the_patch_a_long_poll_holds_storage_on_a_still_clock"),
        ),
    ),
)


@LONG_POLL.by
def _receive_message(
    self: Any,
    queue_name: str,
    count: int,
    wait_seconds_timeout: int,
    visibility_timeout: int,
    message_attribute_names: list[str] | None = None,
) -> list[Message]:
    """ReceiveMessage with WaitTimeSeconds (a long poll) on the virtual clock: it answers as soon
    as a message is there (one arriving, one becoming visible again) or when the wait has passed,
    and lets go of storage while it waits. moto polls inside the request on a real condition and
    ends when the clock passes the deadline: on a still clock, never, holding storage meanwhile."""
    receive = LONG_POLL.original
    if not wait_seconds_timeout or not clock.CLOCK.running:
        return list(
            receive(
                self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
            )
        )
    deadline = clock.CLOCK.timestamp() + wait_seconds_timeout
    while True:
        received = list(receive(self, queue_name, count, 0, visibility_timeout, message_attribute_names))
        now = clock.CLOCK.timestamp()
        if received or now >= deadline:
            return received
        queue = self.get_queue(queue_name)
        visible_again = [m.visible_at / 1000 for m in list(queue._messages) if not m.visible]
        wake = min([deadline, *[t for t in visible_again if t > now]])
        arrived = clock.VirtualEvent()
        waiting = _arrivals.setdefault(id(queue), [])
        waiting.append(arrived)
        try:
            arrived.wait(wake - now)
        finally:
            if arrived in waiting:
                waiting.remove(arrived)


def next_due(queue: Queue) -> float | None:
    """When the next hidden or delayed message of a queue can be received (seconds), or None.

    Only two kinds of message are not receivable now: one in flight (received, its visibility
    timeout running), which moto keeps among the queue's pending messages, and one sent with a
    delay, recorded as it arrives. So the answer reads those, not the backlog: a pipe asks this of
    its queue whenever the clock looks for its next timer, and a backlog holds thousands. Without
    `ARRIVALS` (delays unrecorded) the whole queue is read."""
    now = unix_time_millis()
    if not ARRIVALS.applied:
        candidates: list[Message] = list(queue._messages)
    else:
        with _delayed_lock:
            recorded = getattr(queue, _DELAYED, None) or []
            recorded[:] = [m for m in recorded if m.delayed_until > now]
            delayed = list(recorded)
        candidates = [*list(queue.pending_messages), *delayed]
    dues = [
        (m.visible_at if m.visible_at > now else m.delayed_until) / 1000
        for m in candidates
        if m.visible_at > now or m.delayed_until > now
    ]
    return min(dues) if dues else None


def _visible_from_deadline(self: Message) -> bool:
    return bool(unix_time_millis() >= self.visible_at)


VISIBILITY = Replace(
    "message_visible",
    SERVICE,
    Message,
    "visible",
    (
        Gap(
            "a message given back (ChangeMessageVisibility 0) stays hidden on a still clock",
            node(_TESTS, "test_without_the_patch_a_message_given_back_stays_hidden"),
        ),
    ),
    new=property(_visible_from_deadline),
)


def _visible_messages(queue: Queue) -> list[Message]:
    """The messages a receive may take, the clock read once: visible (by whichever rule
    `Message.visible` follows: `VISIBILITY`'s, or moto's when it is off) and not delayed."""
    now = unix_time_millis()
    at_deadline = getattr(Message.__dict__["visible"], "fget", None) is _visible_from_deadline
    return [
        m
        for m in queue._messages
        if (now >= m.visible_at if at_deadline else now > m.visible_at) and now >= m.delayed_until
    ]


VISIBLE_MESSAGES = Replace(
    "queue_messages",
    SERVICE,
    Queue,
    "messages",
    (
        Gap(
            "a queue finds its visible messages by reading the clock twice per message: with a"
            " backlog of thousands every receive and every count is slow",
            node(_GAP_TESTS, "test_without_the_patch_a_backlog_reads_the_clock_per_message"),
        ),
    ),
    new=property(_visible_messages),
)


def _delayed_count(queue: Queue) -> int:
    """Messages still delayed, the clock read once."""
    now = unix_time_millis()
    return sum(1 for m in list(queue._messages) if now < m.delayed_until)


def _hidden_count(queue: Queue) -> int:
    """Messages in flight (received, not yet visible again), the clock read once, by the rule
    `Message.visible` follows (`VISIBILITY`'s, or moto's when it is off)."""
    now = unix_time_millis()
    at_deadline = getattr(Message.__dict__["visible"], "fget", None) is _visible_from_deadline
    if at_deadline:
        return sum(1 for m in list(queue._messages) if now < m.visible_at)
    return sum(1 for m in list(queue._messages) if now <= m.visible_at)


_BACKLOG_COUNTS = (
    "a queue counts its delayed and in-flight messages reading the clock once per message, and"
    " moto counts them on every send (its attributes): a backlog of thousands made each send slower"
)

DELAYED_COUNT = Replace(
    "queue_delayed_count",
    SERVICE,
    Queue,
    "approximate_number_of_messages_delayed",
    (Gap(_BACKLOG_COUNTS, node(_GAP_TESTS, "test_without_the_patches_a_backlog_is_counted_per_message")),),
    new=property(_delayed_count),
)

HIDDEN_COUNT = Replace(
    "queue_hidden_count",
    SERVICE,
    Queue,
    "approximate_number_of_messages_not_visible",
    (Gap(_BACKLOG_COUNTS, node(_GAP_TESTS, "test_without_the_patches_a_backlog_is_counted_per_message")),),
    new=property(_hidden_count),
)

RETENTION_CHECK = Replace(
    "retention_check",
    SERVICE,
    SQSBackend,
    "is_message_valid_based_on_retention_period",
    (
        Gap(
            "a receive checks each message's retention by computing every attribute of its queue"
            " (counting the whole backlog) to read one",
            node(_GAP_TESTS, "test_without_the_patch_a_receive_counts_the_backlog_per_message"),
        ),
    ),
)


@RETENTION_CHECK.by
def _within_retention(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's rule (kept until sent + MessageRetentionPeriod), the period read from the queue."""
    queue: Any = self.get_queue(queue_name)  # its attributes are set from the request's names
    retention = int(queue.message_retention_period)
    return bool(retention + (message.sent_timestamp or 0) / 1000 > unix_time_millis() / 1000)


PATCHES: tuple[Patch, ...] = (
    ARRIVALS,
    LONG_POLL,
    VISIBILITY,
    VISIBLE_MESSAGES,
    DELAYED_COUNT,
    HIDDEN_COUNT,
    RETENTION_CHECK,
)
