"""Failures of the DynamoDB plumbing that every adapter names in its own terms."""


class StoreUnavailable(Exception):
    """DynamoDB throttled or failed transiently; each adapter raises its own subclass, the error
    name its workflow retries (OrderStoreUnavailable, OutboxStoreUnavailable, SagaStoreUnavailable)."""


class CorruptRecord(Exception):
    """A stored item does not match the model; a bug or a manual edit, never retried."""
