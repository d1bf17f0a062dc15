"""Named failures of the publisher's tasks (class name = Step Functions error name).

Transient store failures are ``order_store.errors.OutboxStoreUnavailable``, which the state
machine retries; the failure defined here is never worth retrying.
"""


class InvalidOutboxInput(Exception):
    """The task input does not match the workflow contract: a bug upstream, not retried."""
