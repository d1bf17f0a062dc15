"""Named failures of the order store.

The class name of an exception that leaves a Lambda handler becomes the Step Functions error
name, so each failure a caller may want to retry or catch has its own class.
"""

from dynamo_tables.errors import StoreUnavailable


class OrderStoreError(Exception):
    """Base class for every failure raised by this package."""


class OrderStoreUnavailable(StoreUnavailable):
    """Transient failure while reading or writing orders (the API answers 503)."""


class OutboxStoreUnavailable(StoreUnavailable):
    """Transient failure while claiming or settling outbox records (the workflow retries it)."""


class OrderAlreadyExists(OrderStoreError):
    """The order (or its first outbox record) is already stored: the create was a replay."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} already exists")
        self.order_id = order_id


class OrderNotFound(OrderStoreError):
    """No order has this id."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class OutboxSequenceConflict(OrderStoreError):
    """Another writer appended an event to the order first; re-read the order and decide again."""

    def __init__(self, order_id: str, expected: int, actual: int) -> None:
        super().__init__(f"order {order_id}: expected outbox sequence {expected}, found {actual}")
        self.order_id = order_id
        self.expected = expected
        self.actual = actual


class SagaLockConflict(OrderStoreError):
    """The order's saga lock is not where a write required it: another execution owns the saga
    (a redrive took it over), or the saga moved on (it is compensating, or it was completed).
    Nothing was written. Never retried: the caller decides from the lock and the order."""
