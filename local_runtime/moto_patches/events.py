"""EventBridge: rules that deliver as AWS's do.

A scheduled rule fires on time, never on an event; a Step Functions target starts an execution
(moto raises NotImplementedError, failing the PutEvents); ``Input`` and ``InputPath`` choose what a
state machine or queue receives; an event delivered whole carries its ``account``; a replay puts
back only the archived events of its window, to the rules it names, after StartReplay answers.
Each patch is declared with its gap in `PATCHES`.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import boto3
from moto.core.utils import unix_time
from moto.events.models import Archive, EventTemplateParser, Replay, ReplayState, Rule, events_backends
from moto.sqs.models import sqs_backends

from local_runtime import clock, storage
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
        elif ":sqs:" in arn and "replay-name" in original_event and "InputTransformer" not in target:
            # a replayed event is delivered whole, as a live one is, and says which replay sent it
            delivered = EventTemplateParser.parse(input_template="", input_paths_map={}, event=original_event)  # type: ignore[arg-type]
            delivered["replay-name"] = original_event["replay-name"]
            sqs_backends[self.account_id][self.region_name].send_message(
                queue_name=arn.rsplit(":", 1)[-1], message_body=json.dumps(delivered)
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

REPLAY = Replace(
    "replay_events",
    SERVICE,
    Replay,
    "replay_events",
    (
        Gap(
            "a replay puts back every archived event, whatever its EventStartTime and EventEndTime",
            node(_GAP_TESTS, "test_without_the_patch_a_replay_ignores_its_window_and_its_rules"),
        ),
        Gap(
            "a replay delivers to every rule of the bus, not only the ones its Destination.FilterArns names",
            node(_GAP_TESTS, "test_without_the_patch_a_replay_ignores_its_window_and_its_rules"),
        ),
        Gap(
            "a replay is over before StartReplay answers (AWS answers STARTING, then replays)",
            node(_GAP_TESTS, "test_without_the_patch_a_replay_ignores_its_window_and_its_rules"),
        ),
    ),
)


def _epoch(value: Any) -> float:
    """A time as the API carries it (epoch seconds, or a datetime) in epoch seconds."""
    return float(value.timestamp()) if hasattr(value, "timestamp") else float(value)


@REPLAY.by
def _replay_events(self: Replay, archive: Archive) -> None:
    """Take the archived events of the window [EventStartTime, EventEndTime) now (as AWS reads
    its archive), and put them back to the rules the replay names (every rule of the bus without
    FilterArns) once StartReplay has answered: on the virtual clock's next turn. Each is delivered
    as a live event is, marked with ``replay-name`` (which the archive's own rule leaves out)."""
    start, end = _epoch(self.event_start_time), _epoch(self.event_end_time)
    chosen = [dict(event) for event in list(archive.events) if start <= _epoch(event["time"]) < end]
    rules = set(self.destination.get("FilterArns") or [])
    bus_name = str(self.destination["Arn"]).split("/")[-1]
    self.state = ReplayState.STARTING

    def replay() -> None:
        with storage.atomic():
            self.state = ReplayState.RUNNING
            bus = events_backends[self.account_id][self.region].describe_event_bus(bus_name)
            for event in chosen:
                replayed: Any = {**event, "id": str(uuid.uuid4()), "replay-name": self.name}
                for rule in list(bus.rules.values()):
                    if not rules or rule.arn in rules:
                        rule.send_to_targets(replayed)
            self.state = ReplayState.COMPLETED
            self.end_time = unix_time()

    if clock.CLOCK.running:
        clock.CLOCK.call_later(0.0, replay, clock.SCHEDULE)
    else:
        replay()


PATCHES: tuple[Patch, ...] = (TARGETS, EVENT_TEMPLATE, REPLAY)
