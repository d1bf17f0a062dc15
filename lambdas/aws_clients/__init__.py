"""Every AWS client of the task code, with bounded calls.

A call that stalls must end as the adapter's transient named error (which the state machine
retries with backoff), not as a Lambda timeout, which loses the invocation and, for a step
with an effect, leaves its outcome unknown. So every client has explicit connect and read
timeouts and botocore's ``standard`` retry mode, and its worst case (every attempt timing out)
stays well inside the shortest function timeout (10 s): CONNECT_TIMEOUT + READ_TIMEOUT seconds
per attempt, MAX_ATTEMPTS attempts, plus the retry mode's short backoff.
"""

import functools
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
MAX_ATTEMPTS = 2
"""Attempts in all (the first one included), as botocore's ``standard`` mode counts them."""

NETWORK_ERRORS = (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)
"""What a call raises when the network, not the service, failed (after the client's retries):
every adapter maps these to its transient named error."""

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)


def worst_case_seconds() -> float:
    """How long one call can take before its error reaches the caller (backoff excluded:
    standard mode waits at most about a second between attempts)."""
    return MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + (MAX_ATTEMPTS - 1) * 1.0


@functools.cache
def client(service: str) -> Any:
    """One client per service and process, created at first use (not at import time)."""
    return boto3.client(service, config=CLIENT_CONFIG)
