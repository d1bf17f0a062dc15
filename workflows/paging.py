"""What pages the on-call engineer: the alarms the workflows ask for, built by the dashboard's
cdk-monitoring-constructs facade (issue 23).

Why requests rather than alarms: a workflow knows what deserves a page (its parking queues, its
failed executions, a spike of refused notices) and what to tell the person paged; the facade
knows how to build an alarm on the metric it already draws, with the stack's prefix and the ops
topic. So a workflow records a page here, and `PlatformDashboard` hands each one to the facade
beside the resource's widgets. Nothing in the stack builds a `cloudwatch.Alarm` by hand.

One cause, one page: when one fault raises two alarms (a failed saga execution is also a message
parked in its failures queue), both name the same `Cause`. They keep their state and their
runbook entries, but only the cause's composite alarm notifies the ops topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

RUNBOOK = "RUNBOOK.md"


def runbook_entry(alarm: str) -> str:
    """Where an alarm's runbook entry is: a heading of RUNBOOK.md named as the alarm is (its
    stack-unique name), linked by the anchor GitHub gives that heading."""
    return f"Runbook: {RUNBOOK}#{alarm.lower()}"


@dataclass(frozen=True)
class _Alarmed:
    name: str
    """The alarm's name and its runbook heading (the workflow's construct id, then the alarm's)."""
    description: str

    @property
    def alarm_description(self) -> str:
        """What the person paged reads: what happened, then where the runbook says what to do."""
        return f"{self.description}. {runbook_entry(self.name)}"


@dataclass(frozen=True)
class Cause(_Alarmed):
    """One fault that several alarms report: it pages once, through a composite alarm."""


@dataclass(frozen=True)
class Page(_Alarmed):
    """An alarm a workflow asks for."""

    cause: Cause | None = None
    """The fault this alarm reports with others; None when it pages on its own."""


@dataclass(frozen=True)
class MetricPage:
    """A page on a metric no facade of the library draws (the platform's own), above a threshold."""

    page: Page
    metric: cloudwatch.Metric
    threshold: float


def _page(scope: Construct, construct_id: str, description: str, cause: Cause | None) -> Page:
    """A page named as its alarm is: the workflow's construct id, then the alarm's."""
    return Page(f"{scope.node.id}{construct_id}", description, cause)


@dataclass
class Pager:
    """Every page the workflows asked for, keyed by the resource it watches (its construct path)."""

    parked: dict[str, Page] = field(default_factory=dict)
    """Queue path -> the page for any message visible in it (a DLQ, a failures queue)."""
    failed_executions: dict[str, Page] = field(default_factory=dict)
    """State machine path -> the page for any failed execution."""
    metrics: list[MetricPage] = field(default_factory=list)

    def cause(self, scope: Construct, construct_id: str, *, description: str) -> Cause:
        """A fault several of ``scope``'s alarms report, named as its composite alarm is."""
        return Cause(name=f"{scope.node.id}{construct_id}", description=description)

    def when_not_empty(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: sqs.IQueue,
        description: str,
        cause: Cause | None = None,
    ) -> Page:
        """Page on any message visible in ``queue``: every message there was parked by a failure."""
        page = _page(scope, construct_id, description, cause)
        self.parked[queue.node.path] = page
        return page

    def when_executions_fail(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine: sfn.IStateMachine,
        description: str,
        cause: Cause | None = None,
    ) -> Page:
        """Page on any failed execution of ``state_machine``."""
        page = _page(scope, construct_id, description, cause)
        self.failed_executions[state_machine.node.path] = page
        return page

    def when_above(
        self,
        scope: Construct,
        construct_id: str,
        *,
        metric: cloudwatch.Metric,
        threshold: float,
        description: str,
    ) -> Page:
        """Page when ``metric`` is above ``threshold`` in one period."""
        page = _page(scope, construct_id, description, None)
        self.metrics.append(MetricPage(page, metric, threshold))
        return page

    def pages(self) -> list[Page]:
        return [*self.parked.values(), *self.failed_executions.values(), *(m.page for m in self.metrics)]

    def causes(self) -> list[Cause]:
        return list(dict.fromkeys(p.cause for p in self.pages() if p.cause is not None))
