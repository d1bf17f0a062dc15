"""The one deployable stack: composes the platform's constructs and owns cross-cutting concerns.

Why thin: the stack defines no resources of its own besides outputs and tags. Each workflow
is a construct with its own tests, and the stack is where they meet the shared foundation.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from workflows import constants as c
from workflows.order_saga import OrderSaga
from workflows.orders_api import OrdersApi
from workflows.outbox_publisher import OutboxPublisher
from workflows.platform_foundation import PlatformFoundation


class OrderPlatformStack(Stack):
    """Foundation + orders API + outbox publisher + order saga, with outputs under stable ids.

    Attributes:
        foundation: key, bus, orders table, ops topic.
        orders_api: the REST API and its Lambda.
        outbox_publisher: the outbox workflow (functions, state machine, pipe, sweeper, alarms).
        order_saga: the saga (tables, functions, webhook route, state machine, queue, pipe,
            failure rule, alarms).
    """

    def __init__(self, scope: Construct, construct_id: str = c.STACK_NAME, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", c.SERVICE_NAME)

        self.foundation = PlatformFoundation(self, "Foundation")
        self.orders_api = OrdersApi(self, "OrdersApi", foundation=self.foundation)
        self.outbox_publisher = OutboxPublisher(self, "OutboxPublisher", foundation=self.foundation)
        self.order_saga = OrderSaga(self, "OrderSaga", foundation=self.foundation, api=self.orders_api)

        # Outputs live on the stack itself so their logical ids are exactly these names.
        CfnOutput(self, c.OUTPUT_ORDERS_API_URL, value=self.orders_api.url, description="Orders API base URL")
        CfnOutput(
            self,
            c.OUTPUT_EVENT_BUS_NAME,
            value=self.foundation.event_bus.event_bus_name,
            description="Bus the outbox publisher publishes integration events to",
        )
        CfnOutput(
            self,
            c.OUTPUT_ORDERS_TABLE_NAME,
            value=self.foundation.orders_table.table_name,
            description="Single table holding orders and their outbox records",
        )
        CfnOutput(
            self,
            c.OUTPUT_OUTBOX_STATE_MACHINE_ARN,
            value=self.outbox_publisher.state_machine.state_machine_arn,
            description="Outbox publisher (Express) state machine",
        )
        saga = self.order_saga
        CfnOutput(
            self,
            c.OUTPUT_ORDER_SAGA_STATE_MACHINE_ARN,
            value=saga.state_machine.state_machine_arn,
            description="Order saga (Standard) state machine",
        )
        CfnOutput(
            self,
            c.OUTPUT_ORDER_SAGA_QUEUE_URL,
            value=saga.queue.queue_url,
            description="Queue the OrderPlaced rule fills and the saga pipe drains",
        )
        CfnOutput(
            self,
            c.OUTPUT_WORKFLOW_FAILURES_QUEUE_URL,
            value=saga.failures_queue.queue_url,
            description="Events of failed, timed-out or aborted saga executions (detail.input is the input)",
        )
        CfnOutput(
            self,
            c.OUTPUT_INVENTORY_TABLE_NAME,
            value=saga.inventory_table.table_name,
            description="Stock per SKU and the saga's reservations",
        )
        CfnOutput(
            self,
            c.OUTPUT_PAYMENTS_TABLE_NAME,
            value=saga.payments_table.table_name,
            description="The payment provider's ledger of authorization requests",
        )
        CfnOutput(
            self,
            c.OUTPUT_SHIPMENTS_TABLE_NAME,
            value=saga.shipments_table.table_name,
            description="Shipments booked for orders",
        )
