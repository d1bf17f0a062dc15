"""moto's state as the rest of the runtime reads and writes it, in one place.

The runtime goes around moto's API where the API would only add cost (provisioning a template's
resources on the backends directly; the pipes reading a stream's records and a queue's depth from
the shard and the queue), and it hooks a few of moto's objects (PutEvents, for the fault
injector). Each of those reaches is here, so that no module outside `moto_patches` imports moto's
internals: when moto moves a backend, this module is the one to follow it.
"""

from __future__ import annotations

import json
from typing import Any

from moto.backends import get_backend
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventPattern, events_backends
from moto.logs.models import logs_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sqs.models import sqs_backends
from moto.stepfunctions.responses import get_backend as _stepfunctions_backend

from local_runtime.moto_patches.sqs import next_due

ServiceError = JsonRESTError
"""An error a backend raises that moto's response layer answers as the AWS error it names
(``ServiceError("ThrottlingException", "Rate exceeded")``)."""


def backend(service: str, account: str, region: str) -> Any:
    """A service's backend for an account and region (what provisioning writes to)."""
    return get_backend(service)[account][region]  # type: ignore[call-overload]


def stepfunctions_backend(account: str, region: str) -> Any:
    """The Step Functions backend the API answers with (the executing one, as the app configures
    moto), which is not always `backend("stepfunctions", ...)`."""
    return _stepfunctions_backend(account, region)


def events_backend(account: str, region: str) -> Any:
    return events_backends[account][region]


def logs_backend(account: str, region: str) -> Any:
    return logs_backends[account][region]


def queue(account: str, region: str, name: str) -> Any:
    """The queue named `name`, or None."""
    return sqs_backends[account][region].queues.get(name)


def messages_held(account: str, region: str, name: str) -> int:
    """Every message a queue holds, visible, in flight or delayed (SQS's three approximate counts
    together), read without the two clock reads per message `GetQueueAttributes` makes."""
    queue = sqs_backends[account][region].queues.get(name)
    return 0 if queue is None else len(queue._messages)


def next_visible_at(queue: Any) -> float | None:
    """When the next hidden or delayed message of a queue can be received (seconds), or None
    (read from its in-flight and delayed messages: `sqs.next_due`)."""
    return next_due(queue)


def stream_shard(account: str, region: str, table_name: str) -> Any:
    """The stream shard of a table (None when it has no stream); raises moto's own
    ResourceNotFound for a table that does not exist."""
    return dynamodb_backends[account][region].get_table(table_name).stream_shard


def event_filter(pattern: Any) -> Any:
    """An EventBridge pattern (a dict or its JSON) as moto matches it: ``.matches_event(event)``."""
    return EventPattern.load(pattern if isinstance(pattern, str) else json.dumps(pattern))


def server_application() -> Any:
    """moto's server as a WSGI application (every service, dispatched by host and path)."""
    return DomainDispatcherApplication(create_backend_app)
