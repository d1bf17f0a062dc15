"""The one deployable stack: composes the platform's constructs and owns cross-cutting concerns.

Why thin: the stack defines no resources of its own besides outputs and tags. Each workflow
is a construct with its own tests, and the stack is where they meet the shared foundation.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from workflows import constants as c
from workflows.account_notification import AccountNotification
from workflows.claim_check import ClaimCheck
from workflows.event_contracts import EventContracts
from workflows.monitoring import PlatformDashboard
from workflows.order_saga import OrderSaga
from workflows.orders_api import OrdersApi
from workflows.outbox_publisher import OutboxPublisher
from workflows.payment_webhook_api import PaymentWebhookApi
from workflows.platform_foundation import PlatformFoundation


class OrderPlatformStack(Stack):
    """Foundation + orders API + outbox publisher + order saga, with outputs under stable ids.

    Attributes:
        foundation: key, bus, orders table, ops topic.
        orders_api: the REST API and its Lambda.
        outbox_publisher: the outbox workflow (functions, state machine, pipe, sweeper, alarms).
        order_saga: the saga (tables, functions, webhook function and secret, state machine,
            queue, pipe, failure rule, alarms).
        payment_webhook_api: the payment provider's API (signed notices, no AWS credentials).
        account_notification: the account-change notification (accounts and notices tables,
            user pool, SES sender identity, functions, state machine, pipe, alarms).
    """

    def __init__(self, scope: Construct, construct_id: str = c.STACK_NAME, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", c.SERVICE_NAME)

        self.foundation = PlatformFoundation(self, "Foundation")
        sender = self.node.try_get_context(c.NOTIFICATION_SENDER_CONTEXT_KEY) or c.NOTIFICATION_DEFAULT_SENDER
        # The user pool lives with the account notification (whose users it names); its customers
        # are the orders API's too: one identity across accounts and orders.
        self.account_notification = AccountNotification(
            self, "AccountNotification", foundation=self.foundation, sender=str(sender)
        )
        self.orders_api = OrdersApi(
            self, "OrdersApi", foundation=self.foundation, user_pool=self.account_notification.user_pool
        )
        self.outbox_publisher = OutboxPublisher(self, "OutboxPublisher", foundation=self.foundation)
        endpoint = (
            self.node.try_get_context(c.PAYMENT_PROVIDER_CONTEXT_KEY) or c.PAYMENT_PROVIDER_DEFAULT_ENDPOINT
        )
        self.order_saga = OrderSaga(
            self,
            "OrderSaga",
            foundation=self.foundation,
            payment_provider_endpoint=str(endpoint),
        )
        self.payment_webhook_api = PaymentWebhookApi(
            self,
            "PaymentWebhookApi",
            foundation=self.foundation,
            function=self.order_saga.webhook_function,
            logging_role_set_by=self.orders_api.api.node.find_child("Account"),
        )
        after_success = self.node.try_get_context(c.CLAIM_AFTER_SUCCESS_CONTEXT_KEY) or c.CLAIM_AFTER_SUCCESS
        self.claim_check = ClaimCheck(
            self, "ClaimCheck", foundation=self.foundation, after_success=str(after_success)
        )

        self.event_contracts = EventContracts(self, "EventContracts", event_bus=self.foundation.event_bus)

        # Outputs live on the stack itself so their logical ids are exactly these names.
        self.dashboard = PlatformDashboard(
            self,
            "Monitoring",
            stack=self,
            alarm_topic=self.foundation.alarm_topic,
            pager=self.foundation.pager,
        )

        saga = self.order_saga
        outputs: list[tuple[str, str, str]] = [
            (c.OUTPUT_ORDERS_API_URL, self.orders_api.url, "Orders API base URL"),
            (
                c.OUTPUT_PAYMENT_WEBHOOK_URL,
                self.payment_webhook_api.url,
                "Where the payment provider POSTs its signed notices",
            ),
            (
                c.OUTPUT_PAYMENT_WEBHOOK_SECRET_ARN,
                self.order_saga.webhook_secret.secret_arn,
                "The secret the provider signs notices with (rotate: operations/rotate_webhook_secret.py)",
            ),
            (
                c.OUTPUT_EVENT_BUS_NAME,
                self.foundation.event_bus.event_bus_name,
                "Bus the outbox publisher publishes integration events to",
            ),
            (
                c.OUTPUT_EVENT_ARCHIVE_ARN,
                self.event_contracts.archive.archive_arn,
                "Archive of the platform's events (operations.replay replays from it)",
            ),
            (
                c.OUTPUT_EVENT_SCHEMA_REGISTRY_NAME,
                self.event_contracts.registry.attr_registry_name,
                "Schema registry holding every published event's JSON Schema",
            ),
            (
                c.OUTPUT_ORDERS_TABLE_NAME,
                self.foundation.orders_table.table_name,
                "Single table holding orders and their outbox records",
            ),
            (
                c.OUTPUT_OUTBOX_STATE_MACHINE_ARN,
                self.outbox_publisher.state_machine.state_machine_arn,
                "Outbox publisher (Express) state machine",
            ),
            (
                c.OUTPUT_ORDER_SAGA_STATE_MACHINE_ARN,
                saga.state_machine.state_machine_arn,
                "Order saga (Standard) state machine",
            ),
            (
                c.OUTPUT_ORDER_SAGA_QUEUE_URL,
                saga.queue.queue_url,
                "Queue the OrderPlaced rule fills and the saga pipe drains",
            ),
            (
                c.OUTPUT_WORKFLOW_FAILURES_QUEUE_URL,
                saga.failures_queue.queue_url,
                "Events of failed, timed-out or aborted saga executions (detail.input is the input)",
            ),
            (
                c.OUTPUT_INVENTORY_TABLE_NAME,
                saga.inventory_table.table_name,
                "Stock per SKU and the saga's reservations",
            ),
            (
                c.OUTPUT_PAYMENTS_TABLE_NAME,
                saga.payments_table.table_name,
                "The payment provider's ledger of authorization requests",
            ),
            (c.OUTPUT_SHIPMENTS_TABLE_NAME, saga.shipments_table.table_name, "Shipments booked for orders"),
            (
                c.OUTPUT_ACCOUNTS_TABLE_NAME,
                self.account_notification.accounts_table.table_name,
                "Accounts (Cognito sub and profile fields); its changes notify the user",
            ),
            (
                c.OUTPUT_NOTICES_TABLE_NAME,
                self.account_notification.notices_table.table_name,
                "Security notices sent or skipped, per account change",
            ),
            (
                c.OUTPUT_USER_POOL_ID,
                self.account_notification.user_pool.user_pool_id,
                "The customers (names, emails): they sign in here to call the orders API",
            ),
            (
                c.OUTPUT_CUSTOMER_CLIENT_ID,
                self.orders_api.customer_client.user_pool_client_id,
                "The app client customers sign in through (their tokens call the orders API)",
            ),
            (
                c.OUTPUT_OPERATOR_ROLE_ARN,
                self.orders_api.operator_role.role_arn,
                "The role operators assume to call the orders API's /operator routes",
            ),
            (
                c.OUTPUT_NOTIFICATION_STATE_MACHINE_ARN,
                self.account_notification.state_machine.state_machine_arn,
                "Account-change notification (Express) state machine",
            ),
            (
                c.OUTPUT_OPS_ALERT_TOPIC_ARN,
                self.foundation.alarm_topic.topic_arn,
                "Alarms and saga alerts for the operators (parked orders, refused redrives)",
            ),
            (
                c.OUTPUT_PAYLOAD_BUCKET_NAME,
                self.claim_check.bucket.bucket_name,
                "Claim-check payloads (upload imports under intake/)",
            ),
            (
                c.OUTPUT_CLAIMS_TABLE_NAME,
                self.claim_check.claims_table.table_name,
                "Claim checks and their resolution",
            ),
            (
                c.OUTPUT_CLAIM_INTAKE_QUEUE_URL,
                self.claim_check.intake_queue.queue_url,
                "Import intake: extended-client pointers or inline JSON Lines",
            ),
            (
                c.OUTPUT_CLAIM_SPLIT_STATE_MACHINE_ARN,
                self.claim_check.split_state_machine.state_machine_arn,
                "Claim-check split (Standard) state machine",
            ),
            (
                c.OUTPUT_CLAIM_RESOLVE_STATE_MACHINE_ARN,
                self.claim_check.resolve_state_machine.state_machine_arn,
                "Claim-check resolve (Standard, Distributed Map) state machine",
            ),
            (
                c.OUTPUT_CLAIM_FAILURES_QUEUE_URL,
                self.claim_check.resolve_failures_queue.queue_url,
                "Parked ClaimCheckIssued messages whose claim could not be resolved",
            ),
        ]
        for output_id, value, description in outputs:
            CfnOutput(self, output_id, value=value, description=description)
