"""The saga's execution input: a Pipe batch of SQS records whose body is an OrderPlaced event,
or, for a start by hand, the OrderPlaced event's ``detail`` alone.

Pipes always deliver a JSON array (the pipe's batch size is 1: one order per execution). The
record body is the EventBridge event as the bus delivered it to the queue; its ``detail`` is the
outbox envelope written by ``order_store.events.bus_entry``. A redrive of a parked saga sends
the same body again with two message attributes: the parked execution it resumes
(``sagaRedriveOf``) and how many times this message has been redriven (``sagaRedriveCount``).

A person starting the saga from the console or the CLI gives the envelope itself (a JSON object;
``sample_events/order_saga.json``): nobody types an SQS record whose body is a JSON string
holding an EventBridge event. Both forms become the same event here and meet the same checks:
the envelope's ``eventType`` stands for the event's detail-type, and a hand start is never a
redrive (that needs the parked message's attributes, which only a queue carries). A pipe never
delivers an object, so nothing a pipe delivers changes meaning.
"""

import re
from dataclasses import dataclass
from typing import Any

from event_contracts.versions import ALSO_PUBLISHED_AS_FIELD, VERSION_FIELD, accepted_version
from pydantic import ValidationError, model_validator

from order_saga.errors import InvalidOrderEvent
from order_saga.models import ORDER_ID_PATTERN, OrderFacts, SagaOrder
from order_store.events import ORDER_PLACED
from task_io.models import CamelModel
from task_io.pipe_records import bus_event_in, message_attribute, one_sqs_record, problems

_ORDER_ID = re.compile(ORDER_ID_PATTERN)

REDRIVE_OF_ATTRIBUTE = "sagaRedriveOf"
REDRIVE_COUNT_ATTRIBUTE = "sagaRedriveCount"
_EXECUTION_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]+:[^:\s]+$")
_MAX_REDRIVE_COUNT = 1_000_000


@dataclass(frozen=True)
class Redrive:
    """A redrive of a parked saga: the execution it resumes and the how-manieth redrive it is."""

    parked_execution: str
    count: int


class OrderPlacedDetail(CamelModel):
    """The event's ``detail``: the outbox envelope. Unknown envelope fields are ignored, so the
    publisher may add some without breaking the saga."""

    event_id: str
    aggregate_id: str
    data: OrderFacts

    @model_validator(mode="after")
    def _about_one_order(self) -> "OrderPlacedDetail":
        if self.aggregate_id != self.data.order_id:
            raise ValueError(
                f"aggregateId {self.aggregate_id} differs from data.orderId {self.data.order_id}"
            )
        return self


def _single_event(records: Any) -> tuple[Any, Any]:
    """The detail-type and detail of the EventBridge event in the only record of the batch, or of
    a hand start's envelope (whose ``eventType`` stands for the detail-type)."""
    if isinstance(records, dict):
        return records.get("eventType"), records
    event = bus_event_in(one_sqs_record(records, InvalidOrderEvent), InvalidOrderEvent)
    return event.detail_type, event.detail


def parse_order_placed(records: Any) -> SagaOrder:
    """The order of the batch's OrderPlaced event, or InvalidOrderEvent saying what is wrong
    (UnsupportedEventVersion when its contract version is one the saga does not read,
    ReadInAnotherMajor when this copy's is not but the same event was published in one it is)."""
    detail_type, detail = _single_event(records)
    if detail_type != ORDER_PLACED:
        named = "eventType" if isinstance(records, dict) else "detail-type"
        raise InvalidOrderEvent(f"{named} is {detail_type!r}, expected {ORDER_PLACED!r}")
    # An event in a version the saga does not read is parked whole (UnsupportedEventVersion),
    # never judged by this version's rules: it is not invalid, only newer than this consumer.
    # A copy published beside one in a major the saga reads ends as ReadInAnotherMajor.
    if isinstance(detail, dict):
        accepted_version(ORDER_PLACED, detail.get(VERSION_FIELD), detail.get(ALSO_PUBLISHED_AS_FIELD))
    else:
        accepted_version(ORDER_PLACED, None)
    try:
        placed = OrderPlacedDetail.model_validate(detail, strict=True, by_alias=True, by_name=False)
    except ValidationError as error:
        raise InvalidOrderEvent(f"invalid OrderPlaced detail: {problems(error)}") from error
    return SagaOrder.model_validate({**placed.data.model_dump(), "eventId": placed.event_id})


def order_id_from_batch(records: Any) -> str | None:
    """Best effort: the order id a batch names (``detail.aggregateId``, else
    ``detail.data.orderId``), even if the event is otherwise invalid; None when there is none or
    it is not a well-formed id."""
    try:
        _, detail = _single_event(records)
    except InvalidOrderEvent:
        return None
    if not isinstance(detail, dict):
        return None
    data = detail.get("data")
    for candidate in (detail.get("aggregateId"), data.get("orderId") if isinstance(data, dict) else None):
        if isinstance(candidate, str) and _ORDER_ID.fullmatch(candidate):
            return candidate
    return None


def event_id_from_batch(records: Any) -> str | None:
    """Best effort: the event id a batch's OrderPlaced carries (``detail.eventId``), even if the
    event is otherwise invalid; None when there is none."""
    try:
        _, detail = _single_event(records)
    except InvalidOrderEvent:
        return None
    event_id = detail.get("eventId") if isinstance(detail, dict) else None
    return event_id if isinstance(event_id, str) and event_id else None


def redrive_of(records: Any) -> Redrive | None:
    """The redrive a batch's record carries, or None for a first delivery; InvalidOrderEvent when
    its attributes are malformed (a redrive must name an execution ARN and count from 1)."""
    if not isinstance(records, list):
        return None
    record = one_sqs_record(records, InvalidOrderEvent)
    parked = message_attribute(record, REDRIVE_OF_ATTRIBUTE)
    count_text = message_attribute(record, REDRIVE_COUNT_ATTRIBUTE)
    if parked is None and count_text is None:
        return None
    if parked is None or not _EXECUTION_ARN.fullmatch(parked):
        raise InvalidOrderEvent(f"{REDRIVE_OF_ATTRIBUTE} is not a Step Functions execution ARN")
    if count_text is None or not count_text.isdigit() or not 1 <= int(count_text) <= _MAX_REDRIVE_COUNT:
        raise InvalidOrderEvent(f"{REDRIVE_COUNT_ATTRIBUTE} must be a whole number from 1")
    return Redrive(parked_execution=parked, count=int(count_text))
