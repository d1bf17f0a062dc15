"""When a queue's next message can be received: the timer a pipe gives the clock, read from the
queue's in-flight and delayed messages rather than from its whole backlog, and the same answer as
a scan of every message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from local_runtime import LocalApp, moto_patches
from local_runtime.moto_patches import backends


def _queue(app: LocalApp) -> tuple[Any, str]:
    sqs = app.client("sqs")
    url = sqs.create_queue(QueueName="due-times")["QueueUrl"]
    return sqs, url


def _due(app: LocalApp) -> float | None:
    return backends.next_visible_at(backends.queue(app.account, app.region, "due-times"))


def test_the_next_due_is_the_soonest_in_flight_or_delayed_message_of_a_backlog(tiny_app: LocalApp) -> None:
    sqs, url = _queue(tiny_app)
    now = tiny_app.now().timestamp()
    # Given a backlog of visible messages: nothing is due, everything can be received now
    for n in range(200):
        sqs.send_message(QueueUrl=url, MessageBody=f"backlog-{n}")
    assert _due(tiny_app) is None
    # When one is sent with a delay, and two are received with visibility timeouts
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=90)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    # Then the soonest is the 60-second visibility timeout
    assert _due(tiny_app) == now + 60
    # And once it has passed, the delayed message (90 s), then the other in-flight one (300 s)
    tiny_app.advance(timedelta(seconds=61))
    assert _due(tiny_app) == now + 90
    tiny_app.advance(timedelta(seconds=30))
    assert _due(tiny_app) == now + 300


def test_the_answer_is_a_scan_of_every_message_without_the_arrivals_patch(tiny_app: LocalApp) -> None:
    sqs, url = _queue(tiny_app)
    now = tiny_app.now().timestamp()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=45)
    with moto_patches.without("add_message"):
        sqs.send_message(QueueUrl=url, MessageBody="sooner", DelaySeconds=20)  # arrives unrecorded
        assert _due(tiny_app) == now + 20
