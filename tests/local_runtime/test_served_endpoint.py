"""The served endpoint refuses what it does not emulate, at once and in AWS's error shape."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp
from local_runtime.serve import LocalEndpoint, main


@pytest.fixture
def endpoint(tiny_app: LocalApp) -> Iterator[LocalEndpoint]:
    served = LocalEndpoint(tiny_app, "127.0.0.1", 0, 0, virtual_clock=True).start()
    try:
        yield served
    finally:
        served.stop()


def test_an_operation_moto_lacks_is_an_unknown_operation_not_a_server_error(
    endpoint: LocalEndpoint, tiny_app: LocalApp
) -> None:
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=endpoint.url,
        region_name=tiny_app.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    machine = tiny_app.resource("AWS::StepFunctions::StateMachine", "Tiny/Machine").ref
    with pytest.raises(ClientError) as refused:
        sfn.list_state_machine_versions(stateMachineArn=machine)
    error = refused.value.response
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert "ListStateMachineVersions" in error["Error"]["Message"]
    # a client error, so the CLI and the SDKs do not retry it as they retry a 500
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    # and the endpoint goes on answering what it does emulate
    assert sfn.describe_state_machine(stateMachineArn=machine)["stateMachineArn"] == machine


@pytest.mark.parametrize(
    "party", ["no-colon", "no_such_module:factory", "json:no_such_factory", "json:__doc__"]
)
def test_a_party_that_cannot_be_made_is_a_usage_error_before_anything_starts(
    party: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--party", party]) == 2
    assert "--party" in capsys.readouterr().err
