"""AuthorizePayment (``lambda:invoke.waitForTaskToken``).

It records the authorization request in the ledger, sends it to the provider (the endpoint of
this deployment, ``PAYMENT_PROVIDER_ENDPOINT``) and returns; the state waits until the payment
webhook answers the task token (or, for a retried request the provider had already answered,
until this function delivers the recorded answer to the new token). The task token is a bearer
credential for the execution, so it is neither logged nor traced.
"""

from __future__ import annotations

from datetime import UTC, datetime

from order_saga.errors import InvalidSagaInput
from order_saga.payment_request import request_payment
from order_saga.schemas import PaymentRequest, PaymentRequested
from payments.gateway import https_gateway
from payments.ledger import payment_ledger
from payments.settings import load_payment_request_settings
from task_io.callbacks import step_functions_callbacks
from task_io.shell import TaskShell

shell = TaskShell("order-saga", InvalidSagaInput)
ledger_factory = payment_ledger
"""The payment ledger for a table name; tests replace each factory here."""
gateway_factory = https_gateway
"""The gateway to the provider's endpoint."""
callbacks_factory = step_functions_callbacks
"""Answers a retried request's new token with an answer already on record."""


@shell.task(PaymentRequest, correlation_id_path="order.orderId")
def lambda_handler(request: PaymentRequest) -> PaymentRequested:
    settings = load_payment_request_settings()
    ledger = ledger_factory(settings.payments_table_name)
    gateway = gateway_factory(settings.payment_provider_endpoint)
    entry = request_payment(
        request.order, request.task_token, ledger, gateway, callbacks_factory(), datetime.now(UTC)
    )
    shell.count(PaymentsRequested=1)
    shell.logger.info(
        "Payment authorization requested",
        extra={"authorizationId": entry.authorization_id, "ledgerStatus": entry.status},
    )
    return PaymentRequested(authorization_id=entry.authorization_id, status=entry.status)
