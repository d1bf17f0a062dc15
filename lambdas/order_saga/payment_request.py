"""RequestPayment: open an order's authorization request with the provider, or go on with it.

Only this step imports the payment ledger and its models: the saga's other functions start
without them (a cold start builds every pydantic model it imports).
"""

from datetime import datetime

from order_saga.errors import SagaStoreUnavailable, StepAlreadyCompensated
from order_saga.models import SagaOrder
from order_store.timestamps import iso_timestamp
from payments.answers import deliver_answer
from payments.gateway import PaymentGateway
from payments.ledger import PaymentLedger
from payments.models import AuthorizationRequest, PaymentEntry, authorization_id_for
from task_io.callbacks import TaskCallbacks


def request_payment(
    order: SagaOrder,
    task_token: str,
    ledger: PaymentLedger,
    gateway: PaymentGateway,
    callbacks: TaskCallbacks,
    now: datetime,
) -> PaymentEntry:
    """Open the order's authorization request with the provider, or go on with the open one.

    The request is recorded in the ledger first, then sent to the provider through the gateway;
    the provider answers later through the webhook, to the stored task token. While the entry is
    REQUESTED, every attempt sends the request again (an earlier attempt may have failed before
    or after the provider took it; the provider deduplicates on the authorization id). A retried
    request
    (its first attempt's response was lost) waits on a new token, so it stores that one: if the
    provider has not answered yet, the webhook will answer it; if it has, the recorded answer is
    delivered to the new token at once instead of leaving it to wait for its heartbeat. Raises
    StepAlreadyCompensated when the request was voided or withdrawn before (a redriven saga
    must not wait for an answer that will never come).
    """
    authorization_id = authorization_id_for(order.order_id)
    entry = PaymentEntry(
        authorization_id=authorization_id,
        order_id=order.order_id,
        amount=order.total_amount,
        currency=order.currency,
        status="REQUESTED",
        task_token=task_token,
        requested_at=iso_timestamp(now),
    )
    if ledger.create(entry):
        gateway.request_authorization(AuthorizationRequest.for_entry(entry))
        return entry
    existing = ledger.get(authorization_id)
    if existing is None:
        raise SagaStoreUnavailable(f"payment request of order {order.order_id} vanished; retry")
    if existing.status in ("VOIDED", "WITHDRAWN"):
        raise StepAlreadyCompensated(
            f"payment of order {order.order_id} was already requested and {existing.status.lower()}"
        )
    if existing.task_token != task_token and not ledger.refresh_token(authorization_id, task_token):
        closed = ledger.get(authorization_id)
        status = "closed" if closed is None else closed.status.lower()
        raise StepAlreadyCompensated(f"payment of order {order.order_id} was {status} meanwhile")
    if existing.status == "REQUESTED":
        gateway.request_authorization(AuthorizationRequest.for_entry(existing))
    delivery = deliver_answer(authorization_id, ledger, callbacks, now)
    current = delivery.entry if delivery.entry is not None else existing
    return current.model_copy(update={"task_token": task_token})
