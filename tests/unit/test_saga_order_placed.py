"""Reading the saga's execution input: a Pipe batch holding one OrderPlaced event, or (a start by
hand) the event's envelope alone."""

import json
import re
from typing import Any

import pytest
from event_contracts.versions import UnsupportedEventVersion

from order_saga.errors import InvalidOrderEvent
from order_saga.order_placed import event_id_from_batch, order_id_from_batch, parse_order_placed, redrive_of
from tests.unit.samples import bus_event, order_model, order_placed_batch, sqs_record

ORDER_ID = "3f2b8c1e-0000-5000-8000-000000000001"


def _with_detail(mutate: Any) -> list[dict[str, Any]]:
    """The sample batch with its event detail changed by ``mutate``."""
    [record] = order_placed_batch()
    event = json.loads(record["body"])
    mutate(event["detail"])
    return [sqs_record(json.dumps(event))]


def test_the_order_of_a_published_event_is_read() -> None:
    # Given the batch the pipe delivers for an OrderPlaced event written by the orders API
    batch = order_placed_batch()
    # When it is parsed
    order = parse_order_placed(batch)
    # Then the saga's order carries the facts and the event id, and no personal data
    assert order.order_id == ORDER_ID and order.customer_id == "customer-42"
    assert (order.total_amount, order.currency, order.destination_country) == (3499, "EUR", "DE")
    assert [(line.sku, line.quantity) for line in order.items] == [("SKU-1", 2), ("SKU-2", 1)]
    assert order.event_id == f"event-{ORDER_ID}"
    assert "shippingAddress" not in order.model_dump()


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([], "exactly one SQS record, got 0"),
        (order_placed_batch() * 2, "exactly one SQS record, got 2"),
        ({"not": "an envelope"}, "eventType is None, expected 'OrderPlaced'"),
        ("a string", "exactly one SQS record"),
        (
            [{k: v for k, v in sqs_record("x").items() if k != "body"}],
            "not an SQS record: 0.body: Field required",
        ),
        ([{**sqs_record("x"), "eventSource": "aws:kinesis"}], "eventSource"),
        ([sqs_record("{not json")], "not JSON"),
        ([sqs_record("[1, 2]")], "not a JSON object"),
        ([sqs_record(json.dumps(bus_event("OrderShipped", {})))], "detail-type is 'OrderShipped'"),
    ],
)
def test_a_batch_that_is_not_one_order_placed_event_is_invalid(batch: Any, message: str) -> None:
    # Given a batch that does not hold exactly one OrderPlaced event / When parsed / Then it says why
    with pytest.raises(InvalidOrderEvent, match=message):
        parse_order_placed(batch)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["data"].pop("customerId"), r"data\.customerId: Field required"),
        (lambda d: d["data"].update(totalAmount=1), "does not equal the sum of the lines 3499"),
        (lambda d: d["data"]["items"][0].update(quantity=0), r"items\.0\.quantity"),
        (lambda d: d["data"]["items"][0].update(quantity="2"), r"items\.0\.quantity"),
        (lambda d: d["data"].update(items=[]), r"data\.items"),
        (lambda d: d["data"].update(destinationCountry="XX"), "ISO 3166-1"),
        (lambda d: d["data"].update(orderId="has spaces"), r"data\.orderId"),
        (lambda d: d.update(aggregateId="another-order"), "differs from data.orderId"),
        (lambda d: d.pop("eventId"), "eventId: Field required"),
    ],
)
def test_an_event_with_a_missing_or_inconsistent_field_is_invalid(mutate: Any, message: str) -> None:
    # Given an OrderPlaced event with one defect / When parsed / Then the message names it
    with pytest.raises(InvalidOrderEvent, match=message):
        parse_order_placed(_with_detail(mutate))
    # and the same envelope started by hand is refused with the same words
    [record] = _with_detail(mutate)
    with pytest.raises(InvalidOrderEvent, match=message):
        parse_order_placed(json.loads(record["body"])["detail"])


def _envelope() -> dict[str, Any]:
    [record] = order_placed_batch()
    envelope: dict[str, Any] = json.loads(record["body"])["detail"]
    return envelope


def test_a_hand_start_of_the_envelope_alone_reads_the_same_order_as_the_pipe_batch() -> None:
    # Given the envelope of the event the pipe delivers, as a person starts the saga with it
    # When both are parsed / Then they are the same order, and a hand start is no redrive
    assert parse_order_placed(_envelope()) == parse_order_placed(order_placed_batch())
    assert order_id_from_batch(_envelope()) == ORDER_ID
    assert event_id_from_batch(_envelope()) == f"event-{ORDER_ID}"
    assert redrive_of(_envelope()) is None


def test_a_hand_started_envelope_of_another_event_type_is_invalid() -> None:
    with pytest.raises(InvalidOrderEvent, match="eventType is 'OrderConfirmed', expected 'OrderPlaced'"):
        parse_order_placed({**_envelope(), "eventType": "OrderConfirmed"})


def test_unknown_envelope_fields_are_tolerated() -> None:
    # Given a publisher that added an envelope field / When parsed / Then the order is read
    batch = _with_detail(lambda d: d.update(traceId="abc"))
    assert parse_order_placed(batch).order_id == ORDER_ID


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (order_placed_batch(), ORDER_ID),
        (_with_detail(lambda d: d["data"].update(totalAmount=1)), ORDER_ID),
        (_with_detail(lambda d: d.pop("aggregateId")), ORDER_ID),
        (_with_detail(lambda d: d.update(aggregateId=["x"])), ORDER_ID),
        (_with_detail(lambda d: (d.pop("aggregateId"), d.pop("data"))), None),
        (_with_detail(lambda d: d.update(aggregateId="ORDER#x y")), ORDER_ID),
        (_with_detail(lambda d: (d.update(aggregateId="a b"), d["data"].update(orderId="#"))), None),
        ([sqs_record("{not json")], None),
        (order_placed_batch() * 2, None),
        (None, None),
    ],
)
def test_the_order_id_of_an_invalid_batch_is_found_when_it_is_there(batch: Any, expected: str | None) -> None:
    # Given a batch, valid or not / When its order id is looked for / Then only a well-formed one is used
    assert order_id_from_batch(batch) == expected


def test_a_batch_for_another_order_names_that_order() -> None:
    # Given the event of another order / When parsed / Then that order is read
    order = order_model("7d0f5c8a-0000-5000-8000-000000000002")
    assert parse_order_placed(order_placed_batch(order)).order_id == order.order_id


# --- contract versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.7", None])
def test_every_version_of_the_read_major_is_read(version: str | None) -> None:
    # Given OrderPlaced in a minor of major 1 (a later minor may add optional fields), or without a
    # version (published before versioning)
    def stamp(detail: dict[str, Any]) -> None:
        detail.pop("eventVersion", None)
        if version is not None:
            detail["eventVersion"] = version
            detail["data"]["giftWrap"] = True  # a field a later minor added

    # When parsed / Then it is the same order
    assert parse_order_placed(_with_detail(stamp)).order_id == ORDER_ID


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("2.0", "OrderPlaced eventVersion 2.0 is not read by this consumer (it reads 1.x)"),
        ("1", "OrderPlaced eventVersion '1' is not a MAJOR.MINOR version"),
        (2, "OrderPlaced eventVersion 2 is not a MAJOR.MINOR version"),
    ],
)
def test_a_version_the_saga_does_not_read_is_refused_by_name_before_anything_else(
    version: Any, message: str
) -> None:
    # Given an OrderPlaced in a newer major, whose data this saga cannot judge
    def newer(detail: dict[str, Any]) -> None:
        detail["eventVersion"] = version
        detail["data"] = {"orderRef": ORDER_ID}  # a 2.0 shape: invalid by 1.x rules

    # When parsed / Then it is refused as UnsupportedEventVersion (parked), not InvalidOrderEvent
    # (which would cancel the order)
    with pytest.raises(UnsupportedEventVersion, match=re.escape(message)):
        parse_order_placed(_with_detail(newer))
