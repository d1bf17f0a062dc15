"""The payment provider's webhook: it answers the order saga's waiting AuthorizePayment task.

The provider calls ``POST /payments/webhook`` with its outcome; the ledger entry records it with
a conditional write, and the stored task token is answered with SendTaskSuccess,
SendTaskFailure (PaymentDeclined) or SendTaskHeartbeat. Providers retry webhooks, so any
repeated or late answer is acknowledged and changes nothing.
"""
