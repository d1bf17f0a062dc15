"""The engine accepts the Distributed Map fields AWS accepts, and runs them as AWS does.

Each field is shown refused (or without effect) by moto as shipped, then run as documented.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, moto_patches

CHILD_FAILS_ON_BAD = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "Broken"}],
            "Default": "Fine",
        },
        "Broken": {"Type": "Fail", "Error": "ItemBroken"},
        "Fine": {"Type": "Pass", "End": True},
    },
}
ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}


def _distributed_map(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    **processor,
                },
                "End": True,
                **fields,
            }
        },
    }


def _create(app: LocalApp, name: str, definition: dict[str, Any]) -> str:
    return str(
        app.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=f"arn:aws:iam::{app.account}:role/probe"
        )["stateMachineArn"]
    )


def _run(app: LocalApp, definition: dict[str, Any], payload: Any, name: str) -> dict[str, Any]:
    machine = _create(app, name, definition)
    arn = app.client("stepfunctions").start_execution(
        stateMachineArn=machine, name=name, input=json.dumps(payload)
    )["executionArn"]
    return app.wait_for(arn)


FOUR_ITEMS_ONE_BAD = {"items": [{"n": 1}, {"n": 2, "bad": True}, {"n": 3}, {"n": 4}]}


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, "FAILED"),
        ({"ToleratedFailurePercentage": 25}, "SUCCEEDED"),
        ({"ToleratedFailurePercentage": 20}, "FAILED"),
        ({"ToleratedFailurePercentage": 25.5}, "SUCCEEDED"),
        ({"ToleratedFailureCount": 1}, "SUCCEEDED"),
        ({"ToleratedFailureCount": 0}, "FAILED"),
    ],
)
def test_tolerated_failures_decide_whether_a_map_run_fails(
    tiny_app: LocalApp, fields: dict[str, Any], status: str
) -> None:
    # Given a Distributed Map over four items, one of whose children fails
    definition = _distributed_map(CHILD_FAILS_ON_BAD, **fields)
    # When it runs
    name = "tolerate-" + "-".join(f"{k[17:]}{v}".replace(".", "_") for k, v in fields.items())
    description = _run(tiny_app, definition, FOUR_ITEMS_ONE_BAD, name or "tolerate-none")
    # Then it fails beyond what it tolerates, by AWS's name, and succeeds within it
    assert description["status"] == status
    if status == "FAILED":
        assert description["error"] == "States.ExceedToleratedFailureThreshold"
        assert "1 of 4 items failed" in description["cause"]


def test_without_the_patch_an_integer_tolerated_percentage_is_a_syntax_error(tiny_app: LocalApp) -> None:
    definition = _distributed_map(ECHO, ToleratedFailurePercentage=5)
    with moto_patches.without("parse"), pytest.raises(ClientError, match="ToleratedFailurePercentage"):
        _create(tiny_app, "integer-percentage", definition)


def test_without_the_patch_an_item_batcher_is_a_syntax_error(tiny_app: LocalApp) -> None:
    definition = _distributed_map(ECHO, ItemBatcher={"MaxItemsPerBatch": 2})
    with moto_patches.without("parse"), pytest.raises(ClientError, match="ItemBatcher"):
        _create(tiny_app, "batcher-unpatched", definition)


def test_an_item_batcher_gives_each_child_its_items_and_the_batch_input(tiny_app: LocalApp) -> None:
    # Given five items batched by two, with a BatchInput from the state's input and an ItemSelector
    definition = _distributed_map(
        ECHO,
        ItemSelector={"sku.$": "$$.Map.Item.Value.sku", "index.$": "$$.Map.Item.Index"},
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"importId.$": "$.importId", "kind": "stock"}},
    )
    payload = {"importId": "imp-7", "items": [{"sku": f"S{n}", "extra": n} for n in range(5)]}
    # When it runs
    description = _run(tiny_app, definition, payload, "batched")
    # Then three children ran, each on its items shaped by the selector, with the batch input
    assert description["status"] == "SUCCEEDED"
    children = json.loads(description["output"])
    assert children == [
        {"Items": [{"sku": "S0", "index": 0}, {"sku": "S1", "index": 1}], "BatchInput": _BATCH_INPUT},
        {"Items": [{"sku": "S2", "index": 2}, {"sku": "S3", "index": 3}], "BatchInput": _BATCH_INPUT},
        {"Items": [{"sku": "S4", "index": 4}], "BatchInput": _BATCH_INPUT},
    ]


_BATCH_INPUT = {"importId": "imp-7", "kind": "stock"}


def test_an_item_batcher_keeps_each_batch_under_its_byte_limit(tiny_app: LocalApp) -> None:
    # Given items of about 100 bytes each and batches of at most 250 bytes
    definition = _distributed_map(ECHO, ItemBatcher={"MaxInputBytesPerBatch": 250})
    payload = {"items": [{"text": "x" * 90} for _ in range(5)]}
    # When it runs
    children = json.loads(_run(tiny_app, definition, payload, "batched-bytes")["output"])
    # Then each child got as many items as fit, and no more
    assert [len(child["Items"]) for child in children] == [2, 2, 1]
    assert all(len(json.dumps(child, separators=(",", ":"))) <= 250 for child in children)


def test_a_failed_batch_fails_every_item_it_held(tiny_app: LocalApp) -> None:
    # Given four items in batches of two, one bad item failing its batch's child, 25% tolerated
    batch_fails = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.Items[1].bad", "IsPresent": True, "Next": "Broken"}],
                "Default": "Fine",
            },
            "Broken": {"Type": "Fail", "Error": "ItemBroken"},
            "Fine": {"Type": "Pass", "End": True},
        },
    }
    definition = _distributed_map(
        batch_fails, ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailurePercentage=25
    )
    # When it runs
    description = _run(tiny_app, definition, FOUR_ITEMS_ONE_BAD, "batch-fails")
    # Then two of four items failed (the whole batch): beyond 25%
    assert description["status"] == "FAILED"
    assert "2 of 4 items failed" in description["cause"]


def test_a_json_lines_item_reader_reads_one_item_per_line(tiny_app: LocalApp) -> None:
    # Given a JSON Lines object in S3 (a blank line included)
    s3 = tiny_app.client("s3")
    s3.create_bucket(Bucket="lines", CreateBucketConfiguration={"LocationConstraint": tiny_app.region})
    s3.put_object(Bucket="lines", Key="items.jsonl", Body=b'{"n": 1}\n{"n": 2}\n\n{"n": 3}\n')
    definition = _distributed_map(
        ECHO,
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL", "MaxItems": 2},
            "Parameters": {"Bucket": "lines", "Key": "items.jsonl"},
        },
    )
    del definition["States"]["Each"]["ItemsPath"]
    # When it runs
    description = _run(tiny_app, definition, {}, "json-lines")
    # Then each line was an item, up to MaxItems
    assert description["status"] == "SUCCEEDED"
    assert json.loads(description["output"]) == [{"n": 1}, {"n": 2}]


def test_without_the_patch_a_json_lines_reader_is_refused(tiny_app: LocalApp) -> None:
    definition = _distributed_map(
        ECHO,
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "lines", "Key": "items.jsonl"},
        },
    )
    with moto_patches.without("parse"), pytest.raises(ClientError, match="JSONL"):
        _create(tiny_app, "json-lines-unpatched", definition)
