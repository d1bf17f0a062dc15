"""The Step Functions Local test tier: every test case of sfn_local/MockConfigFile.json, run on the
embedded engine (CI), or unchanged on a real Step Functions Local when SFN_LOCAL_ENDPOINT is set
(started with that very file: see the README)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_runtime import LocalApp
from local_runtime.moto_patches import mock_config

SFN_LOCAL_DIR = Path(__file__).resolve().parents[2] / "sfn_local"
MOCK_CONFIG = SFN_LOCAL_DIR / "MockConfigFile.json"
TEST_CASES: dict[str, Any] = json.loads((SFN_LOCAL_DIR / "test_cases.json").read_text())
ENDPOINT = os.environ.get("SFN_LOCAL_ENDPOINT")
REGION = "us-east-1"
ACCOUNT = "123456789012"


def _placeholder_value(name: str) -> str:
    """A stand-in for a deployed resource: mocked tasks never reach it."""
    if name.endswith("FunctionArn"):
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name.removesuffix('FunctionArn')}"
    if name.endswith("TopicArn"):
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name.removesuffix('TopicArn')}"
    if name == "UserPoolId":
        return f"{REGION}_SfnLocal"
    return f"SfnLocal{name}"


def definition_of(asl_name: str) -> str:
    text = (SFN_LOCAL_DIR.parent / "asl" / f"{asl_name}.asl.json").read_text()
    for placeholder in sorted(set(re.findall(r"\$\{([A-Za-z]+)\}", text))):
        text = text.replace(f"${{{placeholder}}}", _placeholder_value(placeholder))
    return text


@dataclass
class Target:
    """Where test cases run: a Step Functions API client and how to wait for an execution."""

    client: Any
    app: LocalApp | None

    def wait(self, execution_arn: str) -> dict[str, Any]:
        if self.app is not None:
            return self.app.wait_for(execution_arn)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            described: dict[str, Any] = self.client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.5)
        raise TimeoutError(execution_arn)

    def states_visited(self, execution_arn: str) -> list[str]:
        pages = self.client.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return [
            event["stateEnteredEventDetails"]["name"]
            for page in pages
            for event in page["events"]
            if "stateEnteredEventDetails" in event
        ]


@pytest.fixture(scope="module")
def target(assembly_dir: Path) -> Iterator[Target]:
    if ENDPOINT:
        yield Target(
            client=boto3.client("stepfunctions", endpoint_url=ENDPOINT, region_name=REGION), app=None
        )
        return
    mock_config.use_mock_config(MOCK_CONFIG)
    try:
        with LocalApp(assembly_dir, region=REGION, log_level="WARNING") as app:
            resolve = TEST_CASES["ClaimCheckResolve"]["manifest"]
            s3 = app.client("s3")
            s3.create_bucket(Bucket=resolve["bucket"])
            s3.put_object(
                Bucket=resolve["bucket"], Key=resolve["key"], Body=json.dumps(resolve["ranges"]).encode()
            )
            yield Target(client=app.client("stepfunctions"), app=app)
    finally:
        mock_config.use_mock_config(None)


@pytest.fixture(scope="module")
def machines(target: Target) -> dict[str, str]:
    """Each state machine of the file, created under its MockConfigFile name."""
    arns = {}
    for name, spec in TEST_CASES.items():
        if target.app is None and "stepFunctionsLocal" in spec:
            continue
        arns[name] = target.client.create_state_machine(
            name=name,
            definition=definition_of(spec["asl"]),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/DummyRole",
        )["stateMachineArn"]
    return arns
