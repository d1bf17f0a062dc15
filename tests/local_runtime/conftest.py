"""A tiny hand-written cloud assembly, so the runtime is tested apart from the product's stack.

It holds one of each thing the runtime must bring up: a table with a stream, a
queue with a redrive policy, a bus, two Lambda functions from one staged asset,
a state machine whose definition uses substitutions, Retry and Catch on named
errors, and two pipes (DynamoDB stream → REQUEST_RESPONSE with a DLQ; SQS →
FIRE_AND_FORGET).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime import LocalApp

ASSET_HASH = "0123abcd"

HANDLER_SOURCE = textwrap.dedent(
    '''
    """Tasks for the runtime's own tests."""
    import os
    import time

    from aws_lambda_powertools import Logger, Metrics

    CALLS = []
    METRICS = Metrics(namespace="Tiny", service="tiny")
    LOGGER = Logger(service="tiny")


    class OutOfStock(Exception):
        pass


    def work(event, context):
        CALLS.append(event)
        if isinstance(event, dict) and event.get("use_shared"):
            import shared

            return {"shared": shared.NAME, "error": shared.Rejected.__name__}
        if isinstance(event, dict) and event.get("put"):
            import boto3

            dynamodb = boto3.client("dynamodb")
            for key in event["put"]:
                dynamodb.put_item(TableName=os.environ["TABLE"], Item={"pk": {"S": key}})
        if isinstance(event, dict) and event.get("answer_own_token"):
            import boto3

            boto3.client("stepfunctions").send_task_success(
                taskToken=event["answer_own_token"], output='{"answered": "during the invocation"}'
            )
        if isinstance(event, dict) and event.get("fail"):
            raise OutOfStock(f"no stock for {event['fail']}")
        if isinstance(event, dict) and event.get("sleep"):
            time.sleep(event["sleep"])
        if isinstance(event, dict) and event.get("spin"):
            end = time.monotonic() + event["spin"]  # real time: the clock cannot move meanwhile
            while time.monotonic() < end:
                pass
        if isinstance(event, dict) and event.get("then_put"):
            import boto3

            boto3.client("dynamodb").put_item(
                TableName=os.environ["TABLE"], Item={"pk": {"S": event["then_put"]}}
            )
        if isinstance(event, dict) and event.get("then_set"):
            os.environ.update(event["then_set"])
            with open(event["then_touch"], "w") as done:
                done.write(os.environ["GREETING"])
        if isinstance(event, dict) and event.get("log"):
            LOGGER.info(event["log"])
        if isinstance(event, dict) and event.get("add_metric"):
            METRICS.add_metric(name="Worked", unit="Count", value=1)
        return {
            "metrics_pending": len(METRICS.metric_set),
            "greeting": os.environ["GREETING"],
            "function": context.function_name,
            "calls_in_this_sandbox": len(CALLS),
            "event": event,
        }


    def reject_batch(event, context):
        if any("reject" in str(record) for record in event["input"]):
            raise OutOfStock("batch rejected")
        return {"records": len(event["input"])}
    '''
)

DEFINITION = {
    "StartAt": "Work",
    "States": {
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${WorkFunctionArn}", "Payload.$": "$"},
            "ResultSelector": {"result.$": "$.Payload"},
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["OutOfStock"], "ResultPath": "$.error", "Next": "Compensate"}],
            "End": True,
        },
        "Compensate": {"Type": "Fail", "Error": "OrderRejected", "Cause": "out of stock"},
    },
}

BATCH_DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${RejectFunctionArn}", "Payload": {"input.$": "$"}},
            "End": True,
        }
    },
}


def _function(
    path: str, handler: str, greeting: str, timeout: int = 5, reserved: int | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {
                "S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}"},
                "S3Key": f"{ASSET_HASH}.zip",
            },
            "Handler": handler,
            "Runtime": "python3.13",
            "Timeout": timeout,
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Environment": {"Variables": {"GREETING": greeting, "TABLE": {"Ref": "Table"}}},
        },
        "Metadata": {"aws:cdk:path": f"Tiny/{path}/Resource"},
    }
    if reserved is not None:
        function["Properties"]["ReservedConcurrentExecutions"] = reserved
    return function


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Users": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {"UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]},
            "Metadata": {"aws:cdk:path": "Tiny/Users/Resource"},
        },
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            },
            "Metadata": {"aws:cdk:path": "Tiny/Table/Resource"},
        },
        "Dlq": {
            "Type": "AWS::SQS::Queue",
            "Properties": {},
            "Metadata": {"aws:cdk:path": "Tiny/Dlq/Resource"},
        },
        "Inbox": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 30,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                    "maxReceiveCount": 3,
                },
            },
            "Metadata": {"aws:cdk:path": "Tiny/Inbox/Resource"},
        },
        "WorkFunction": _function("Work", "tasks.handler.work", "hello"),
        "OtherFunction": _function("Other", "tasks.handler.work", "bonjour"),
        "SlowFunction": _function("Slow", "tasks.handler.work", "zzz", timeout=1),
        "ReservedFunction": _function("Reserved", "tasks.handler.work", "one", timeout=60, reserved=1),
        "RejectFunction": _function("Reject", "tasks.handler.reject_batch", "-"),
        "Machine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": json.dumps(DEFINITION),
                "DefinitionSubstitutions": {"WorkFunctionArn": {"Fn::GetAtt": ["WorkFunction", "Arn"]}},
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "StateMachineType": "STANDARD",
            },
            "Metadata": {"aws:cdk:path": "Tiny/Machine/Resource"},
        },
        "BatchMachine": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "DefinitionString": {"Fn::Join": ["", [json.dumps(BATCH_DEFINITION)]]},
                "DefinitionSubstitutions": {"RejectFunctionArn": {"Fn::GetAtt": ["RejectFunction", "Arn"]}},
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "StateMachineType": "EXPRESS",
            },
            "Metadata": {"aws:cdk:path": "Tiny/BatchMachine/Resource"},
        },
        "StreamPipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "Source": {"Fn::GetAtt": ["Table", "StreamArn"]},
                "SourceParameters": {
                    "DynamoDBStreamParameters": {
                        "StartingPosition": "LATEST",
                        "BatchSize": 4,
                        "MaximumRetryAttempts": 2,
                        "OnPartialBatchItemFailure": "AUTOMATIC_BISECT",
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
                    },
                    "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
                },
                "Target": {"Ref": "BatchMachine"},
                "TargetParameters": {
                    "StepFunctionStateMachineParameters": {"InvocationType": "REQUEST_RESPONSE"}
                },
            },
            "Metadata": {"aws:cdk:path": "Tiny/StreamPipe"},
        },
        "QueuePipe": {
            "Type": "AWS::Pipes::Pipe",
            "Properties": {
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "Source": {"Fn::GetAtt": ["Inbox", "Arn"]},
                "SourceParameters": {
                    "SqsQueueParameters": {"BatchSize": 1},
                    "FilterCriteria": {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]},
                },
                "Target": {"Ref": "Machine"},
                "TargetParameters": {
                    "InputTemplate": (
                        '{"orderId": "<$.body.id>", "lines": <$.body.lines>, "from": "<$.eventSource>"}'
                    ),
                    "StepFunctionStateMachineParameters": {"InvocationType": "FIRE_AND_FORGET"},
                },
            },
            "Metadata": {"aws:cdk:path": "Tiny/QueuePipe"},
        },
    }
}


def write_assembly(
    root: Path, template: dict[str, Any] = TEMPLATE, handler_source: str = HANDLER_SOURCE
) -> Path:
    """Lay out a cloud assembly the way `cdk synth` does: manifest, template, staged asset."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Tiny.template.json").write_text(json.dumps(template))
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "version": "55.0.0",
                "artifacts": {
                    "Tiny": {
                        "type": "aws:cloudformation:stack",
                        "properties": {"templateFile": "Tiny.template.json"},
                    }
                },
            }
        )
    )
    package = root / f"asset.{ASSET_HASH}" / "tasks"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(handler_source)
    # a package whose __init__ imports its own submodule (as shared packages often do)
    shared = root / f"asset.{ASSET_HASH}" / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "__init__.py").write_text("from shared.errors import Rejected\n\nNAME = 'shared'\n")
    (shared / "errors.py").write_text("class Rejected(Exception):\n    pass\n")
    return root


@pytest.fixture
def tiny_assembly(tmp_path: Path) -> Path:
    return write_assembly(tmp_path / "cdk.out")


@pytest.fixture
def tiny_app(tiny_assembly: Path) -> Iterator[LocalApp]:
    with LocalApp(tiny_assembly) as app:
        yield app
