"""Redrive parked order sagas: resume executions that failed, timed out or were aborted.

Every such execution's status-change event is parked in the workflow-failures queue; its
``detail.input`` is the pipe's batch (one SQS record whose body is the OrderPlaced event). A
redrive sends that body back to the saga's queue with two message attributes: the parked
execution's ARN (the saga lock's owner: the new execution takes the lock over and resumes the
same saga, every step finding what the parked one did) and the redrive count. The parked message
is deleted only after the send succeeded, so nothing is lost if the command stops half-way.

The loop guard: a message that was already redriven ``max_redrives`` times is refused, stays
parked, and the operators are alerted on the ops topic. (BeginSaga enforces the same limit, so
a hand-made redrive cannot loop either.)

Usage, against AWS or any endpoint that speaks its APIs::

    python -m operations.redrive_saga --outputs outputs.json [--order-id ID ...] [--dry-run]

``outputs.json`` is what ``cdk deploy --outputs-file outputs.json`` writes. Exit status 0 when
every selected message was redriven, 1 when one was refused or unreadable, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from operations.stack_outputs import stack_outputs
from workflows.constants import SAGA_MAX_REDRIVES

REDRIVE_OF_ATTRIBUTE = "sagaRedriveOf"
REDRIVE_COUNT_ATTRIBUTE = "sagaRedriveCount"
"""What BeginSaga reads (``order_saga.order_placed``; a test holds both to the same names)."""
DEFAULT_MAX_REDRIVES = SAGA_MAX_REDRIVES
"""The loop guard the stack deploys BeginSaga with."""
_RECEIVE_BATCH = 10
_HIDE_SECONDS = 120
"""How long a message this run looks at stays invisible to others (it is released at the end)."""


class ParkedMessageError(ValueError):
    """A parked message is not a saga execution's status-change event with a pipe batch."""


@dataclass(frozen=True)
class ParkedSaga:
    """One parked execution: who it was, what it was given, and how often it was redriven."""

    execution_arn: str
    state_machine_arn: str
    status: str
    record: dict[str, Any]
    order_id: str | None
    redrive_count: int


@dataclass
class RedriveReport:
    """What one run did, by execution ARN (or message id for an unreadable message)."""

    redriven: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.unreadable


def _attribute(record: dict[str, Any], name: str) -> str | None:
    attribute = (record.get("messageAttributes") or {}).get(name)
    if not isinstance(attribute, dict):
        return None
    value = attribute.get("stringValue", attribute.get("StringValue"))
    return value if isinstance(value, str) else None


def _order_id(body: str) -> str | None:
    try:
        event = json.loads(body)
    except ValueError:
        return None
    detail = event.get("detail") if isinstance(event, dict) else None
    order_id = detail.get("aggregateId") if isinstance(detail, dict) else None
    return order_id if isinstance(order_id, str) else None


def parse_parked(body: str) -> ParkedSaga:
    """The parked execution in a workflow-failures message; ParkedMessageError saying why not."""
    try:
        event = json.loads(body)
        detail = event["detail"]
        batch = json.loads(detail["input"])
        execution_arn = str(detail["executionArn"])
        state_machine_arn = str(detail["stateMachineArn"])
    except (ValueError, KeyError, TypeError) as error:
        raise ParkedMessageError(f"not an execution status-change event with an input: {error}") from error
    if not isinstance(batch, list) or len(batch) != 1 or not isinstance(batch[0], dict):
        raise ParkedMessageError("the parked input is not a batch of one record")
    record = batch[0]
    if not isinstance(record.get("body"), str):
        raise ParkedMessageError("the parked record has no body")
    count_text = _attribute(record, REDRIVE_COUNT_ATTRIBUTE) or "0"
    if not count_text.isdigit():
        raise ParkedMessageError(f"{REDRIVE_COUNT_ATTRIBUTE} is not a count: {count_text!r}")
    return ParkedSaga(
        execution_arn=execution_arn,
        state_machine_arn=state_machine_arn,
        status=str(detail.get("status", "")),
        record=record,
        order_id=_order_id(record["body"]),
        redrive_count=int(count_text),
    )


def redrive_message(parked: ParkedSaga) -> dict[str, Any]:
    """The SendMessage request that resumes ``parked`` (without the queue URL)."""
    return {
        "MessageBody": parked.record["body"],
        "MessageAttributes": {
            REDRIVE_OF_ATTRIBUTE: {"DataType": "String", "StringValue": parked.execution_arn},
            REDRIVE_COUNT_ATTRIBUTE: {"DataType": "Number", "StringValue": str(parked.redrive_count + 1)},
        },
    }


def _receive_all(sqs: Any, queue_url: str) -> Iterable[dict[str, Any]]:
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=_RECEIVE_BATCH,
            VisibilityTimeout=_HIDE_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return
        yield from messages


def redrive_parked_sagas(
    sqs: Any,
    sns: Any,
    *,
    failures_queue_url: str,
    saga_queue_url: str,
    saga_state_machine_arn: str,
    alert_topic_arn: str,
    max_redrives: int = DEFAULT_MAX_REDRIVES,
    order_ids: Sequence[str] | None = None,
    dry_run: bool = False,
) -> RedriveReport:
    """Redrive every parked saga (of ``order_ids`` only, when given); see the module docstring.

    Messages this run does not redrive are made visible again before it returns.
    """
    report = RedriveReport()
    kept: list[str] = []
    wanted = set(order_ids) if order_ids else None
    for message in _receive_all(sqs, failures_queue_url):
        try:
            parked = parse_parked(message["Body"])
        except ParkedMessageError:
            report.unreadable.append(message["MessageId"])
            kept.append(message["ReceiptHandle"])
            continue
        selected = parked.state_machine_arn == saga_state_machine_arn and (
            wanted is None or parked.order_id in wanted
        )
        if not selected or dry_run:
            if selected:
                report.redriven.append(parked.execution_arn)
            kept.append(message["ReceiptHandle"])
            continue
        if parked.redrive_count >= max_redrives:
            report.refused.append(parked.execution_arn)
            kept.append(message["ReceiptHandle"])
            sns.publish(
                TopicArn=alert_topic_arn,
                Subject="Order saga redrive refused",
                Message=json.dumps(
                    {
                        "orderId": parked.order_id,
                        "executionArn": parked.execution_arn,
                        "redriveCount": parked.redrive_count,
                        "maxRedrives": max_redrives,
                        "reason": "redriven as often as the loop guard allows; left parked",
                    }
                ),
            )
            continue
        sqs.send_message(QueueUrl=saga_queue_url, **redrive_message(parked))
        sqs.delete_message(QueueUrl=failures_queue_url, ReceiptHandle=message["ReceiptHandle"])
        report.redriven.append(parked.execution_arn)
    for receipt in kept:
        sqs.change_message_visibility(QueueUrl=failures_queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m operations.redrive_saga", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--outputs", type=Path, required=True, help="the cdk deploy --outputs-file JSON")
    parser.add_argument("--order-id", action="append", dest="order_ids", help="only this order (repeatable)")
    parser.add_argument("--max-redrives", type=int, default=DEFAULT_MAX_REDRIVES)
    parser.add_argument("--endpoint-url", help="another endpoint than AWS (a local one)")
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would be redriven, change nothing"
    )
    args = parser.parse_args(argv)
    try:
        outputs = stack_outputs(
            args.outputs,
            ("WorkflowFailuresQueueUrl", "OrderSagaQueueUrl", "OrderSagaStateMachineArn", "OpsAlertTopicArn"),
        )
    except (OSError, ValueError) as error:
        print(f"redrive_saga: {error}", file=sys.stderr)
        return 2
    import boto3  # only the command needs a session; the function takes clients

    sqs = boto3.client("sqs", endpoint_url=args.endpoint_url)
    sns = boto3.client("sns", endpoint_url=args.endpoint_url)
    report = redrive_parked_sagas(
        sqs,
        sns,
        failures_queue_url=outputs["WorkflowFailuresQueueUrl"],
        saga_queue_url=outputs["OrderSagaQueueUrl"],
        saga_state_machine_arn=outputs["OrderSagaStateMachineArn"],
        alert_topic_arn=outputs["OpsAlertTopicArn"],
        max_redrives=args.max_redrives,
        order_ids=args.order_ids,
        dry_run=args.dry_run,
    )
    verb = "would redrive" if args.dry_run else "redriven"
    for label, arns in (
        (verb, report.redriven),
        ("refused", report.refused),
        ("unreadable", report.unreadable),
    ):
        for arn in arns:
            print(f"{label:14} {arn}")
    print(
        f"{len(report.redriven)} {verb}, {len(report.refused)} refused, {len(report.unreadable)} unreadable"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
