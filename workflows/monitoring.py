"""One dashboard for the stack (issue 23, item 2), built with cdk-monitoring-constructs.

Why the resources are found in the construct tree rather than listed: the dashboard must show
*every* state machine, function, queue and table of the stack; a list would miss the next one a
workflow adds. Each facade of the library brings the metrics an on-call engineer reads first
(a state machine's started, succeeded, failed, timed out and duration; a function's errors,
throttles, duration and concurrency; a queue's depth and oldest message, with its DLQ beside it;
a table's throttles and consumed capacity; the API's 4xx, 5xx and latency). The service level
objectives (`observability.slo`, in the task code: the metric, its unit, the statistic and the
target) come first, each drawn against its target.

The alarms are the facade's too: each page a workflow asked for (`workflows.paging`) is added to
the facade with the resource it watches, on the metric the dashboard draws. Pages that report one
cause stay silent on their own, and that cause's composite alarm notifies the ops topic. No alarm
of the stack is written by hand: every one the workflows need is a threshold the library has (a
queue's size, a state machine's failed executions, a custom metric above a value).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_monitoring_constructs import (
    AlarmFactoryDefaults,
    CustomMetricGroup,
    CustomMetricWithAlarm,
    CustomThreshold,
    DefaultDashboardFactory,
    ErrorCountThreshold,
    MaxMessageCountThreshold,
    MonitoringFacade,
    NoopAlarmActionStrategy,
    SnsAlarmActionStrategy,
)
from constructs import Construct

from workflows import constants as c
from workflows.paging import Page, Pager, runbook_entry
from workflows.slo_objectives import OBJECTIVES, SloObjective

SLO_PERIOD = Duration.minutes(5)
PAGE = "Page"
"""The disambiguator of every paging alarm (the facade keys an alarm by it)."""
PARKED_PERIOD = Duration.minutes(1)
"""A parked message pages within a minute."""


class PlatformDashboard(Construct):
    """The stack's dashboard: its SLOs against their targets, then every resource's health.

    Attributes:
        facade: the cdk-monitoring-constructs facade the dashboard is built with.
        monitored: what the dashboard shows, by kind (for the tests and the README).
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, stack: Stack, alarm_topic: sns.ITopic, pager: Pager
    ) -> None:
        super().__init__(scope, construct_id)
        self.facade = MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=AlarmFactoryDefaults(
                actions_enabled=True,
                alarm_name_prefix=c.SERVICE_NAME,
                action=SnsAlarmActionStrategy(on_alarm_topic=alarm_topic),
            ),
            dashboard_factory=DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=c.SERVICE_NAME,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )
        self.monitored: dict[str, list[str]] = {}
        self._pager = pager
        self._slo_widgets()
        self._resources(stack)
        self._platform_metrics()
        self._one_page_per_cause()

    def _custom_section(self, title: str, alarm_friendly_name: str, groups: list[CustomMetricGroup]) -> None:
        """A headed section of custom metrics, with the alarms their groups carry."""
        self.facade.add_large_header(title)
        self.facade.monitor_custom(
            human_readable_name=title, alarm_friendly_name=alarm_friendly_name, metric_groups=groups
        )

    def _slo_widgets(self) -> None:
        self._custom_section(
            "Service level objectives",
            "Slo",
            [
                CustomMetricGroup(
                    title=f"{o.metric} ({o.statistic}; target {o.target:g} {o.unit.lower()})",
                    metrics=[_with_alarm(o)],
                    horizontal_annotations=[
                        cloudwatch.HorizontalAnnotation(value=o.target, label="objective", color="#d62728")
                    ],
                )
                for o in OBJECTIVES
            ],
        )
        self.monitored["slo"] = [o.metric for o in OBJECTIVES]

    def _resources(self, stack: Stack) -> None:
        nodes = stack.node.find_all()
        machines = [n for n in nodes if isinstance(n, sfn.StateMachine)]
        functions = [n for n in nodes if isinstance(n, lambda_.Function)]
        queues = [n for n in nodes if isinstance(n, sqs.Queue)]
        tables = [n for n in nodes if isinstance(n, dynamodb.TableV2 | dynamodb.Table)]
        apis = [n for n in nodes if isinstance(n, apigateway.RestApi)]
        self.facade.add_large_header("State machines")
        for machine in machines:
            failed = self._pager.failed_executions.get(machine.node.path)
            self.facade.monitor_step_function(
                state_machine=machine,
                human_readable_name=machine.node.path,
                add_failed_execution_count_alarm=(
                    {PAGE: ErrorCountThreshold(max_error_count=0, **_paging(failed))} if failed else None
                ),
            )
        self.facade.add_large_header("Functions")
        for function in functions:
            self.facade.monitor_lambda_function(
                lambda_function=function, human_readable_name=function.node.path
            )
        self.facade.add_large_header("Queues and their dead-letter queues")
        dead_letters = {id(q.dead_letter_queue.queue) for q in queues if q.dead_letter_queue is not None}
        for queue in queues:
            if queue.dead_letter_queue is not None:
                dlq = queue.dead_letter_queue.queue
                self.facade.monitor_sqs_queue_with_dlq(
                    queue=queue,
                    dead_letter_queue=dlq,
                    human_readable_name=queue.node.path,
                    add_queue_max_size_alarm=self._parked(queue),
                    add_dead_letter_queue_max_size_alarm=self._parked(dlq),
                )
            elif id(queue) not in dead_letters:
                self.facade.monitor_sqs_queue(
                    queue=queue,
                    human_readable_name=queue.node.path,
                    add_queue_max_size_alarm=self._parked(queue),
                )
        self.facade.add_large_header("Tables")
        for table in tables:
            self.facade.monitor_dynamo_table(table=table, human_readable_name=table.node.path)
        self.facade.add_large_header("APIs")
        for api in apis:
            self.facade.monitor_api_gateway(api=api, human_readable_name=api.node.path)
        self.monitored.update(
            {
                "state machines": [m.node.path for m in machines],
                "functions": [f.node.path for f in functions],
                "queues": [q.node.path for q in queues],
                "tables": [t.node.path for t in tables],
                "apis": [a.node.path for a in apis],
            }
        )

    def _parked(self, queue: sqs.IQueue) -> dict[str, MaxMessageCountThreshold] | None:
        """The alarm on any message visible in ``queue``, if a workflow asked to be paged for it."""
        page = self._pager.parked.get(queue.node.path)
        if page is None:
            return None
        return {PAGE: MaxMessageCountThreshold(max_message_count=0, period=PARKED_PERIOD, **_paging(page))}

    def _platform_metrics(self) -> None:
        """The platform's own metrics a workflow pages on (the webhook's refused notices)."""
        if not self._pager.metrics:
            return
        self._custom_section(
            "Platform alarms",
            "Platform",
            [
                CustomMetricGroup(
                    title=f"{m.metric.metric_name} ({m.metric.statistic}; pages above {m.threshold:g})",
                    metrics=[
                        CustomMetricWithAlarm(
                            alarm_friendly_name=m.page.name,
                            metric=m.metric,
                            add_alarm={
                                PAGE: CustomThreshold(
                                    threshold=m.threshold,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                                    **_paging(m.page),
                                )
                            },
                        )
                    ],
                )
                for m in self._pager.metrics
            ],
        )

    def _one_page_per_cause(self) -> None:
        """A composite alarm per cause: it notifies the ops topic when any of its alarms fires."""
        for cause in self._pager.causes():
            self.facade.create_composite_alarm_using_tag(
                cause.name,
                disambiguator=PAGE,
                alarm_name_override=f"{c.SERVICE_NAME}-{cause.name}",
                alarm_description_override=cause.alarm_description,
            )


def _paging(page: Page) -> dict[str, Any]:
    """What every paging alarm shares: its name and runbook entry, one period over the threshold,
    a quiet metric healthy, and silence when a composite pages for its cause."""
    silent = (
        {"action_override": NoopAlarmActionStrategy(), "custom_tags": [page.cause.name]} if page.cause else {}
    )
    return {
        "alarm_name_override": f"{c.SERVICE_NAME}-{page.name}",
        "alarm_description_override": page.alarm_description,
        "evaluation_periods": 1,
        "datapoints_to_alarm": 1,
        "treat_missing_data_override": cloudwatch.TreatMissingData.NOT_BREACHING,
        **silent,
    }


def _with_alarm(objective: SloObjective) -> CustomMetricWithAlarm:
    """The objective's metric, and the alarm that pages when it is missed."""
    name = f"Slo{objective.metric}"
    return CustomMetricWithAlarm(
        alarm_friendly_name=name,
        metric=cloudwatch.Metric(
            namespace=c.METRICS_NAMESPACE,
            metric_name=objective.metric,
            statistic=objective.statistic,
            period=SLO_PERIOD,
            dimensions_map={"service": objective.service},
        ),
        add_alarm={
            "Objective": CustomThreshold(
                threshold=objective.target,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=objective.breaching_periods,
                datapoints_to_alarm=objective.breaching_periods,
                treat_missing_data_override=(
                    cloudwatch.TreatMissingData.BREACHING
                    if objective.silence_breaches
                    else cloudwatch.TreatMissingData.NOT_BREACHING
                ),
                alarm_description_override=(
                    f"{objective.metric} ({objective.statistic}) above its objective of"
                    f" {objective.target:,.0f} {objective.unit.lower()}. {runbook_entry(name)}"
                ),
            )
        },
    )
