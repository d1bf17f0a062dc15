"""Reading the saga's ledgers on the local app, and starting sagas the way production does."""

from __future__ import annotations

import json
import uuid
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from demo import inventory
from local_runtime import LocalApp
from tests.workflow.outbox_helpers import items, place_order

_deserializer = TypeDeserializer()
SAGA = "OrderSagaStateMachineArn"
STOCK = {"SKU-KETTLE-01": 10, "SKU-MUG-02": 40}
"""What the saga scenarios' shelves hold (the sample order takes 1 kettle and 4 mugs)."""
COMPENSATIONS = ("CancelShipment", "VoidPayment", "ReleaseInventory")
FORWARD_UNDO = {
    "ArrangeShipment": "CancelShipment",
    "AuthorizePayment": "VoidPayment",
    "ReserveInventory": "ReleaseInventory",
}


def _scan(app: LocalApp, output: str) -> list[dict[str, Any]]:
    table = app.output(output)
    scanned = (
        app.client("dynamodb").get_paginator("scan").paginate(TableName=table).build_full_result()["Items"]
    )
    return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in scanned]


def seed_stock(app: LocalApp, stock: dict[str, int], shards: dict[str, int] | None = None) -> None:
    inventory.seed_stock(app, stock, shards)


def stock(app: LocalApp) -> dict[str, int]:
    return inventory.stock_levels(app)


def reservations(app: LocalApp) -> list[dict[str, Any]]:
    return [i for i in _scan(app, "InventoryTableName") if i["pk"].startswith("RESERVATION#")]


def payments(app: LocalApp) -> list[dict[str, Any]]:
    return _scan(app, "PaymentsTableName")


def shipments(app: LocalApp) -> list[dict[str, Any]]:
    return _scan(app, "ShipmentsTableName")


def order_status(app: LocalApp, order_id: str) -> dict[str, Any]:
    return next(i for i in items(app) if i.get("recordType") == "ORDER" and i["orderId"] == order_id)


def outbox_types(app: LocalApp, order_id: str) -> list[str]:
    records = [i for i in items(app) if i.get("recordType") == "OUTBOX" and i["aggregateId"] == order_id]
    return [r["eventType"] for r in sorted(records, key=lambda r: r["sequence"])]


def order_for(sample: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**sample, "customerId": f"cust-{uuid.uuid4().hex[:10]}", **changes}


def start_order(app: LocalApp, order: dict[str, Any]) -> str:
    """Place an order through the API; its OrderPlaced travels outbox → bus → queue → pipe → saga."""
    return str(place_order(app, order)["orderId"])


def saga_executions(app: LocalApp) -> list[dict[str, Any]]:
    return app.executions(app.output(SAGA))


def saga_of(app: LocalApp, order_id: str) -> dict[str, Any]:
    """The one saga execution that worked on this order (duplicates end in DuplicateDelivery)."""
    found = [
        e
        for e in saga_executions(app)
        if order_id in (e.get("input") or "")
        and app.states_visited(e["executionArn"])[-1:] != ["DuplicateDelivery"]
    ]
    assert len(found) == 1, [e["name"] for e in found]
    return found[0]


def _succeeded_tasks(app: LocalApp, execution_arn: str, names: tuple[str, ...] | dict[str, str]) -> list[str]:
    current = None
    done = []
    for event in app.history(execution_arn):
        if "stateEnteredEventDetails" in event:
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskSucceeded" and current in names:
            done.append(current)
    return done


OUTCOME_UNKNOWN = {
    "ReservationOutcomeUnknown": "ReserveInventory",
    "PaymentOutcomeUnknown": "AuthorizePayment",
    "ShipmentOutcomeUnknown": "ArrangeShipment",
}


def steps_that_may_have_taken_effect(app: LocalApp, execution_arn: str) -> list[str]:
    """Forward steps that succeeded, plus the one that failed with an unknown outcome, in order."""
    steps = completed_forward_steps(app, execution_arn)
    steps += [OUTCOME_UNKNOWN[s] for s in app.states_visited(execution_arn) if s in OUTCOME_UNKNOWN]
    return steps


def compensations_run(app: LocalApp, execution_arn: str) -> list[str]:
    """Compensation states whose task succeeded, in the order they ran."""
    return _succeeded_tasks(app, execution_arn, COMPENSATIONS)


def completed_forward_steps(app: LocalApp, execution_arn: str) -> list[str]:
    """Forward steps whose task succeeded, in the order they ran."""
    return _succeeded_tasks(app, execution_arn, FORWARD_UNDO)


def failures_parked(app: LocalApp) -> list[dict[str, Any]]:
    """Status-change events parked in the workflow-failures DLQ."""
    return app.receive_all(app.output("WorkflowFailuresQueueUrl"))


def subscribe_alerts(app: LocalApp) -> str:
    """A queue subscribed to the ops alert topic (what an on-call pager would receive)."""
    topic = app.resource("AWS::SNS::Topic", "OpsAlerts").ref
    sqs = app.client("sqs")
    url = sqs.create_queue(QueueName=f"alerts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    app.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return str(url)


def alerts(app: LocalApp, queue: str) -> list[dict[str, Any]]:
    return [json.loads(message["Message"]) for message in app.receive_all(queue)]


def race_reservations(app: LocalApp, parties: int) -> Any:
    """Stage ``parties`` ReserveInventory transactions to reach the inventory at the same moment."""
    return app.races.gather(
        "dynamodb",
        "TransactWriteItems",
        target=app.output("InventoryTableName"),
        function=app.function_name("OrderSaga/ReserveInventoryFunction"),
        parties=parties,
    )


def put_order_placed(app: LocalApp, detail: dict[str, Any]) -> None:
    """An OrderPlaced put on the platform bus by someone other than the outbox publisher."""
    app.client("events").put_events(
        Entries=[
            {
                "Source": "order-platform.orders",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps(detail),
                "EventBusName": app.output("EventBusName"),
            }
        ]
    )
