"""Named failures of the saga's tasks.

The class name of an exception that leaves a handler is the Step Functions error name that the
state machine (asl/order_saga.asl.json) retries or catches: ``SagaStoreUnavailable`` is retried,
``InvalidOrderEvent`` rejects the event, everything else sends the saga to its compensations.
"""

from dynamo_tables.errors import StoreUnavailable


class SagaStoreUnavailable(StoreUnavailable):
    """DynamoDB throttled or failed transiently (or an order kept changing under a writer); the
    state machine retries the task."""


class InvalidOrderEvent(Exception):
    """The OrderPlaced event cannot start a saga: malformed, inconsistent, or naming an SKU the
    inventory does not know. The message says why."""


class OrderEventRefused(Exception):
    """The OrderPlaced event does not match the platform's own records, so the saga refuses it
    before anything is reserved or requested: the saga trusts its records, not messages."""


class ForgedOrderEvent(OrderEventRefused):
    """The event did not come from the order's outbox: no such order, or an event id that is not
    the order's OrderPlaced (or one that can no longer be checked). Refused, recorded, alerted."""


class OrderFactsMismatch(OrderEventRefused):
    """The event names a real order but says something else about it (customer, lines, total,
    currency, destination) than the order does. Refused, recorded, alerted."""


class OrderNotPlaced(OrderEventRefused):
    """The order is no longer PLACED and no saga owns it (it was cancelled before any saga
    started): there is nothing for a saga to do. Refused and recorded."""


class InvalidSagaInput(Exception):
    """A task's input does not match the workflow contract: a bug upstream, never retried."""


class OutOfStock(Exception):
    """Not enough stock for at least one SKU; nothing was reserved."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"not enough stock for SKU(s): {', '.join(skus)}")
        self.skus = skus


class UnsupportedDestination(Exception):
    """The order ships to a country the carriers do not serve."""

    def __init__(self, country: str) -> None:
        super().__init__(f"no carrier ships to {country}")
        self.country = country


class StepAlreadyCompensated(Exception):
    """A forward step ran for an order whose earlier attempt at that step was already undone
    (released stock, cancelled shipment): redoing it would contradict the compensation."""


class OrderAlreadyConfirmed(Exception):
    """A cancellation found the order CONFIRMED: past the saga's pivot nothing is undone; the
    saga parks the order and alerts instead."""


class RedriveRefused(Exception):
    """A redrive of a parked saga was refused: it already redrove the configured number of
    times (the loop guard), or it names no parked execution."""


class OrderStateConflict(Exception):
    """The order is in a status the step cannot act on (e.g. confirming a cancelled order)."""
