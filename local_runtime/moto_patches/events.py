"""EventBridge: rules that deliver as AWS's do.

A scheduled rule fires on time, never on an event; a Step Functions target starts an execution
(moto raises NotImplementedError, failing the PutEvents); ``Input`` and ``InputPath`` choose what a
state machine or queue receives; an event delivered whole carries its ``account``. Each patch is
declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import boto3
from moto.events.models import EventTemplateParser, Rule
from moto.sqs.models import sqs_backends

from local_runtime.moto_patches.declare import Gap, Patch, Replace, node

SERVICE = "events"
_TESTS = "tests/local_runtime/test_moto_patches.py"
_GAP_TESTS = "tests/local_runtime/test_patch_gaps.py"

TARGETS = Replace(
    "send_to_targets",
    SERVICE,
    Rule,
    "send_to_targets",
    (
        Gap(
            "PutEvents fails (NotImplementedError) when a matching rule targets a state machine",
            node(_TESTS, "test_without_the_patch_an_event_for_a_state_machine_target_fails_put_events"),
        ),
        Gap(
            "a scheduled rule also matches events",
            node(_GAP_TESTS, "test_without_the_patch_a_scheduled_rule_matches_events"),
        ),
        Gap(
            "a queue target's Input and InputPath are ignored (the whole event is sent)",
            node(_GAP_TESTS, "test_without_the_patch_a_queue_target_gets_the_whole_event"),
        ),
    ),
)


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge sends a target: the constant Input, the InputPath selection, the
    InputTransformer's output, or the whole event."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        selected: Any = event
        for part in str(target["InputPath"]).removeprefix("$").strip(".").split("."):
            if part:
                selected = selected.get(part) if isinstance(selected, dict) else None
        return json.dumps(selected)
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        transformed = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]
        )
        return transformed if isinstance(transformed, str) else json.dumps(transformed)
    return json.dumps(event, default=str)


@TARGETS.by
def _send_to_targets(self: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return  # a schedule fires on time, never on an event
    if not self.event_pattern.matches_event(original_event):  # type: ignore[arg-type]
        return
    left_to_moto = []
    for target in self.targets:
        arn = str(target["Arn"])
        if ":states:" in arn:
            boto3.client("stepfunctions", region_name=self.region_name).start_execution(
                stateMachineArn=arn,
                name=f"{self.name[:40]}-{uuid.uuid4().hex}",
                input=_target_input(target, original_event),
            )
        elif ":sqs:" in arn and ("Input" in target or "InputPath" in target):
            sqs_backends[self.account_id][self.region_name].send_message(
                queue_name=arn.rsplit(":", 1)[-1], message_body=_target_input(target, original_event)
            )
        else:
            left_to_moto.append(target)
    if left_to_moto:
        rest = copy.copy(self)
        rest.targets = left_to_moto
        TARGETS.original(rest, original_event, transform_input)


_EVENT_AS_DELIVERED = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>",'
    ' "account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>,'
    ' "detail": <detail>}'
)
"""The whole event EventBridge delivers to a target with no input of its own. moto's default
template leaves out ``account``, which every event AWS delivers carries (and which a consumer
reading the event with Powertools' EventBridgeModel requires)."""


EVENT_TEMPLATE = Replace(
    "event_template",
    SERVICE,
    EventTemplateParser,
    "DEFAULT_EVENT_INPUT_TEMPLATE",
    (
        Gap(
            "an event delivered whole to a target lacks its account",
            node(_TESTS, "test_without_the_patch_a_delivered_event_has_no_account"),
        ),
    ),
    new=_EVENT_AS_DELIVERED,
)

PATCHES: tuple[Patch, ...] = (TARGETS, EVENT_TEMPLATE)
