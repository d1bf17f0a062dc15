"""Answers to a ``waitForTaskToken`` task: the port, its two failures, and the adapter on the
Step Functions API (boto3). The payment webhook, and a retried payment request, answer the
saga's AuthorizePayment task through it."""

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

import aws_clients


class TaskNoLongerOpen(Exception):
    """Step Functions no longer waits on the token (answered, timed out, execution ended): the
    answer is moot, and the webhook acknowledges it so the provider stops retrying."""


class CallbackUnavailable(Exception):
    """Step Functions throttled or failed transiently; the caller should retry (the webhook
    answers 503, the payment request fails and the state machine retries it)."""


class TaskCallbacks(Protocol):
    """Answers to a ``waitForTaskToken`` task.

    Every method raises TaskNoLongerOpen when Step Functions no longer waits on the token, and
    CallbackUnavailable when the call may succeed if repeated later.
    """

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> None:
        """SendTaskSuccess: the task's result is ``output``."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """SendTaskFailure: the task fails with ``error`` (caught by the state's Catch)."""
        ...

    def heartbeat(self, task_token: str) -> None:
        """SendTaskHeartbeat: still working, restart the state's heartbeat timer."""
        ...


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
