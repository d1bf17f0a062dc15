"""TaskCallbacks on the Step Functions API (boto3): how the payment webhook, and a retried
payment request, answer the saga's AuthorizePayment task."""

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import (
    ClientError,
)

import aws_clients
from order_saga.errors import CallbackUnavailable, TaskNoLongerOpen

CLOSED_TASK_CODES = frozenset({"TaskDoesNotExist", "InvalidToken", "TaskTimedOut"})
"""The token is dead: answered already, timed out, or its execution ended."""
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalFailure",
        "ServiceQuotaExceededException",
    }
)

MAX_CAUSE_LENGTH = 32_768
MAX_ERROR_LENGTH = 256


def stepfunctions_client() -> Any:
    """One Step Functions client per process, created at first use (not at import time)."""
    return aws_clients.client("stepfunctions")


class StepFunctionsTaskCallbacks:
    """Answers task tokens; maps the API's errors to the port's two failures."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client if client is not None else stepfunctions_client()

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> None:
        self._send(
            "SendTaskSuccess",
            lambda: self._client.send_task_success(
                taskToken=task_token, output=json.dumps(dict(output), separators=(",", ":"))
            ),
        )

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self._send(
            "SendTaskFailure",
            lambda: self._client.send_task_failure(
                taskToken=task_token, error=error[:MAX_ERROR_LENGTH], cause=cause[:MAX_CAUSE_LENGTH]
            ),
        )

    def heartbeat(self, task_token: str) -> None:
        self._send("SendTaskHeartbeat", lambda: self._client.send_task_heartbeat(taskToken=task_token))

    @staticmethod
    def _send(operation: str, call: Callable[[], Any]) -> None:
        try:
            call()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in CLOSED_TASK_CODES:
                raise TaskNoLongerOpen(f"{operation}: {code}") from error
            if code in TRANSIENT_CODES:
                raise CallbackUnavailable(f"{operation} failed transiently: {code}") from error
            raise
        except aws_clients.NETWORK_ERRORS as error:
            raise CallbackUnavailable(f"{operation} failed transiently: {error}") from error


def step_functions_callbacks() -> StepFunctionsTaskCallbacks:
    """The callbacks on the process-wide client."""
    return StepFunctionsTaskCallbacks(stepfunctions_client())
