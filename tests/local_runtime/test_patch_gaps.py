"""Gap tests: each switches one patch off (`moto_patches.without`) and asserts what moto as
shipped does where AWS does otherwise. The patches' own tests (beside each module's) show the
behaviour with the patch; these show the gap it closes, so that when moto closes one, its test
here fails and `python -m local_runtime.patch_catalogue unneeded` names the patch that can go.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_runtime import LocalApp, moto_patches, storage

ROLE = "arn:aws:iam::{account}:role/gaps"


def _machine(app: LocalApp, name: str, definition: dict[str, Any], kind: str = "STANDARD") -> str:
    return str(
        app.client("stepfunctions").create_state_machine(
            name=name, definition=json.dumps(definition), roleArn=ROLE.format(account=app.account), type=kind
        )["stateMachineArn"]
    )


def _start(app: LocalApp, machine: str, payload: Any = None) -> str:
    return str(
        app.client("stepfunctions").start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))[
            "executionArn"
        ]
    )


def _code(call: Callable[..., Any], **request: Any) -> str:
    """The error code AWS's API (here moto's) answers the call with; "" when it succeeds."""
    try:
        call(**request)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    except NotImplementedError:  # moto's answer to an operation it lacks, raised in-process
        return "NotImplementedError"
    return ""


def _waiting(app: LocalApp, name: str, **limits: int) -> tuple[str, str]:
    """An execution waiting on a task token, and the token."""
    work = app.resource("AWS::Lambda::Function", "Tiny/Work/").arn()
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": work, "Payload": {"token.$": "$$.Task.Token"}},
        "TimeoutSeconds": 3600,
        **limits,
        "End": True,
    }
    arn = _start(app, _machine(app, name, {"StartAt": "Wait", "States": {"Wait": task}}))
    app.drain()
    (scheduled,) = [e for e in app.history(arn) if e["type"] == "TaskScheduled"]
    return arn, str(json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"])


PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


# --- Step Functions: the engine -------------------------------------------------------------------


def test_without_the_patch_every_execution_parses_its_definition_again(tiny_app: LocalApp) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    definition = json.dumps({**PASS, "Comment": "parsed"})
    with moto_patches.without("parse"):
        assert AmazonStateLanguageParser.parse(definition) is not AmazonStateLanguageParser.parse(definition)
    assert AmazonStateLanguageParser.parse(definition) is AmazonStateLanguageParser.parse(definition)


def test_without_the_patch_a_callback_wait_runs_out_while_the_app_drains(tiny_app: LocalApp) -> None:
    # With the patch a callback task's timers are CALLBACK timers: drain leaves the execution
    # parked for an outside party. Without it they are the engine's, and draining runs them out.
    with moto_patches.without("evaluate_with_timeout"):
        arn, _ = _waiting(tiny_app, "drained-out")
    assert tiny_app.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "FAILED"
    assert arn not in tiny_app.parked_executions()


def test_without_the_patch_an_answered_token_is_an_invalid_token(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    with moto_patches.without("issued_tokens"):
        arn, token = _waiting(tiny_app, "answered-unrecorded")
    sfn.send_task_success(taskToken=token, output="{}")
    tiny_app.drain()
    assert sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED"
    assert _code(sfn.send_task_heartbeat, taskToken=token) == "InvalidToken"


def test_without_the_patch_an_express_execution_runs_past_five_minutes(tiny_app: LocalApp) -> None:
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400, "End": True}}}
    machine = _machine(tiny_app, "express-400s", waits, kind="EXPRESS")
    with moto_patches.without("start_execution"):
        arn = _start(tiny_app, machine)
    assert tiny_app.wait_for(arn)["status"] == "SUCCEEDED"
    limited = tiny_app.wait_for(_start(tiny_app, machine))
    assert limited["status"] == "TIMED_OUT"


def test_without_the_patch_a_sync_execution_is_answered_before_it_ends(tiny_app: LocalApp) -> None:
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    machine = _machine(tiny_app, "sync-waits", waits, kind="EXPRESS")
    sfn = tiny_app.client("stepfunctions")
    assert sfn.start_sync_execution(stateMachineArn=machine)["status"] == "SUCCEEDED"
    with moto_patches.without("start_execution"):
        early = sfn.start_sync_execution(stateMachineArn=machine)
    assert early["status"] != "SUCCEEDED" and "output" not in early
    tiny_app.advance(20)  # the unwaited execution ends too (its Wait is a timer on the clock)
    assert sfn.describe_execution(executionArn=early["executionArn"])["status"] == "SUCCEEDED"


def test_without_the_patch_any_execution_name_is_taken(tiny_app: LocalApp) -> None:
    sfn = tiny_app.client("stepfunctions")
    machine = _machine(tiny_app, "named", PASS)
    for name in ("with space", "star*", "a/b", "tab\tname"):
        assert _code(sfn.start_execution, stateMachineArn=machine, name=name, input="{}") == "InvalidName"
    with moto_patches.without("backend_start_execution"):
        assert _code(sfn.start_execution, stateMachineArn=machine, name="with space", input="{}") == ""


def test_without_the_patch_a_jsonata_state_fails(tiny_app: LocalApp) -> None:
    adds = {
        "QueryLanguage": "JSONata",
        "StartAt": "Add",
        "States": {"Add": {"Type": "Pass", "Output": "{% 1 + 2 %}", "End": True}},
    }
    machine = _machine(tiny_app, "jsonata-adds", adds)
    with moto_patches.without("jsonata"):
        failed = tiny_app.wait_for(_start(tiny_app, machine))
    assert failed["status"] == "FAILED"
    assert json.loads(tiny_app.wait_for(_start(tiny_app, machine))["output"]) == 3


def test_without_the_patch_an_eventbridge_error_lacks_its_prefix(tiny_app: LocalApp) -> None:
    describe = {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:eventbridge:describeEventBus",
                "Parameters": {"Name": "no-such-bus"},
                "End": True,
            }
        },
    }
    machine = _machine(tiny_app, "describes-a-missing-bus", describe)
    with moto_patches.without("error_names"):
        unprefixed = tiny_app.wait_for(_start(tiny_app, machine))
    prefixed = tiny_app.wait_for(_start(tiny_app, machine))
    assert prefixed["error"] == "EventBridge.ResourceNotFoundException"
    assert unprefixed["status"] == "FAILED" and not unprefixed["error"].startswith("EventBridge.")


def test_without_the_patch_a_batched_child_gets_no_items_document(tiny_app: LocalApp) -> None:
    echo = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Echo",
            "States": {"Echo": {"Type": "Pass", "End": True}},
        },
        "End": True,
    }
    machine = _machine(tiny_app, "batches", {"StartAt": "Fan", "States": {"Fan": echo}})
    batched = tiny_app.wait_for(_start(tiny_app, machine, {"items": [1, 2, 3]}))
    assert json.loads(batched["output"]) == [{"Items": [1, 2]}, {"Items": [3]}]
    with moto_patches.without("eval_item_input"):
        unshaped = tiny_app.wait_for(_start(tiny_app, machine, {"items": [1, 2, 3]}))
    assert unshaped["status"] != "SUCCEEDED" or json.loads(unshaped["output"]) != [
        {"Items": [1, 2]},
        {"Items": [3]},
    ]


@pytest.fixture
def timed_out(tiny_app: LocalApp) -> tuple[str, str]:
    """An Express state machine and its execution that ran past the 5-minute limit."""
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
    machine = _machine(tiny_app, "express-times-out", waits, kind="EXPRESS")
    arn = _start(tiny_app, machine)
    tiny_app.advance(timedelta(minutes=6))
    return machine, arn


def test_without_the_patch_a_timed_out_execution_has_no_stop_date_described(
    tiny_app: LocalApp, timed_out: tuple[str, str]
) -> None:
    sfn, (_, arn) = tiny_app.client("stepfunctions"), timed_out
    assert sfn.describe_execution(executionArn=arn)["status"] == "TIMED_OUT"
    assert "stopDate" in sfn.describe_execution(executionArn=arn)
    with moto_patches.without("describe_execution"):
        assert "stopDate" not in sfn.describe_execution(executionArn=arn)


def test_without_the_patch_a_timed_out_execution_has_no_stop_date_listed(
    tiny_app: LocalApp, timed_out: tuple[str, str]
) -> None:
    sfn, (machine, _) = tiny_app.client("stepfunctions"), timed_out
    (listed,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert listed["status"] == "TIMED_OUT" and "stopDate" in listed
    with moto_patches.without("list_executions"):
        (unpatched,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert "stopDate" not in unpatched


# --- Step Functions: the API ----------------------------------------------------------------------


def _answered(app: LocalApp) -> str:
    _, token = _waiting(app, "answered")
    app.client("stepfunctions").send_task_success(taskToken=token, output="{}")
    app.drain()
    return token


def _ended_execution(app: LocalApp) -> str:
    arn = _start(app, _machine(app, "passes", PASS))
    app.drain()
    return arn


def _unknown_machine(app: LocalApp) -> str:
    return f"arn:aws:states:{app.region}:{app.account}:stateMachine:nothing-here"


def _late_answer(key: str) -> Callable[[LocalApp], str]:
    def case(app: LocalApp) -> str:
        sfn = app.client("stepfunctions")
        if key == "send_task_success":  # an answer that is not JSON, to an open task
            _, token = _waiting(app, "answered-in-prose")
            with moto_patches.without(key):
                return _code(sfn.send_task_success, taskToken=token, output="{not json")
        token = _answered(app)  # a failure or a heartbeat for a task that is over
        with moto_patches.without(key):
            if key == "send_task_failure":
                return _code(sfn.send_task_failure, taskToken=token, error="Late")
            return _code(sfn.send_task_heartbeat, taskToken=token)

    return case


def _history_page(app: LocalApp) -> tuple[int, str]:
    arn = _ended_execution(app)
    with moto_patches.without("get_execution_history"):
        page = app.client("stepfunctions").get_execution_history(
            executionArn=arn, reverseOrder=True, maxResults=1
        )["events"]
    return len(page), page[0]["type"]


def _bogus_status(app: LocalApp) -> list[Any]:
    sfn = app.client("stepfunctions")
    machine = sfn.describe_execution(executionArn=_ended_execution(app))["stateMachineArn"]
    with moto_patches.without("list_executions"):
        return list(sfn.list_executions(stateMachineArn=machine, statusFilter="BOGUS")["executions"])


def _redrive_fields(app: LocalApp) -> bool:
    arn = _ended_execution(app)
    with moto_patches.without("describe_execution"):
        return "redriveStatus" in app.client("stepfunctions").describe_execution(executionArn=arn)


def _overlong_stop(app: LocalApp) -> str:
    arn, _ = _waiting(app, "stopped-at-length")
    with moto_patches.without("stop_execution_response"):
        return _code(app.client("stepfunctions").stop_execution, executionArn=arn, error="E" * 300)


def _tagging_nothing(key: str) -> Callable[[LocalApp], str]:
    def case(app: LocalApp) -> str:
        sfn = app.client("stepfunctions")
        request: dict[str, Any] = {
            "tag_resource": {"tags": [{"key": "k", "value": "v"}]},
            "untag_resource": {"tagKeys": ["k"]},
            "list_tags_for_resource": {},
        }[key]
        with moto_patches.without(key):
            return _code(getattr(sfn, key), resourceArn=_unknown_machine(app), **request)

    return case


def _machine_of_nobody(app: LocalApp) -> str:
    arn = _ended_execution(app) + "-nobody"
    with moto_patches.without("describe_state_machine_for_execution"):
        return _code(app.client("stepfunctions").describe_state_machine_for_execution, executionArn=arn)


def _lacking(key: str) -> Callable[[LocalApp], str]:
    """An operation moto lacks, called with a valid request."""

    def case(app: LocalApp) -> str:
        sfn = app.client("stepfunctions")
        role = ROLE.format(account=app.account)
        requests: dict[str, Callable[[], dict[str, Any]]] = {
            "validate_state_machine_definition": lambda: {"definition": json.dumps(PASS)},
            "test_state": lambda: {"definition": json.dumps(PASS["States"]["P"]), "roleArn": role},
            "start_sync_execution": lambda: {"stateMachineArn": _machine(app, "sync", PASS, kind="EXPRESS")},
            "redrive_execution": lambda: {"executionArn": _ended_execution(app)},
        }
        request = requests[key]()
        with moto_patches.without(key):
            return _code(getattr(sfn, key), **request)

    return case


MOTO_AS_SHIPPED: dict[str, tuple[Callable[[LocalApp], Any], Any]] = {
    # an output that is not JSON is taken (AWS: InvalidOutput)
    "send_task_success": (_late_answer("send_task_success"), ""),
    # a failure or a heartbeat for a task that is over: taken, or InvalidToken (AWS: TaskDoesNotExist)
    "send_task_failure": (_late_answer("send_task_failure"), ""),
    "send_task_heartbeat": (_late_answer("send_task_heartbeat"), "InvalidToken"),
    # every event, oldest first, whatever the request asks
    "get_execution_history": (_history_page, (4, "ExecutionStarted")),
    # a status that does not exist: an empty list (AWS: ValidationException)
    "list_executions": (_bogus_status, []),
    "describe_execution": (_redrive_fields, False),
    # any length taken (AWS: ValidationException over 256 characters)
    "stop_execution_response": (_overlong_stop, ""),
    # an ARN that names nothing is tagged (AWS: ResourceNotFound)
    "tag_resource": (_tagging_nothing("tag_resource"), ""),
    "untag_resource": (_tagging_nothing("untag_resource"), ""),
    "list_tags_for_resource": (_tagging_nothing("list_tags_for_resource"), ""),
    # AWS: ExecutionDoesNotExist
    "describe_state_machine_for_execution": (_machine_of_nobody, "ResourceNotFound"),
    "validate_state_machine_definition": (
        _lacking("validate_state_machine_definition"),
        "NotImplementedError",
    ),
    "test_state": (_lacking("test_state"), "NotImplementedError"),
    "start_sync_execution": (_lacking("start_sync_execution"), "NotImplementedError"),
    "redrive_execution": (_lacking("redrive_execution"), "NotImplementedError"),
}


@pytest.mark.parametrize("key", sorted(MOTO_AS_SHIPPED))
def test_without_the_patch_the_api_answers_as_moto_does(tiny_app: LocalApp, key: str) -> None:
    case, moto_answers = MOTO_AS_SHIPPED[key]
    assert case(tiny_app) == moto_answers


def test_without_the_patch_the_sync_host_is_not_step_functions(tiny_app: LocalApp) -> None:
    from moto import backend_index

    url = f"https://sync-states.{tiny_app.region}.amazonaws.com"

    def recognised() -> bool:
        return any(
            service == "stepfunctions" and pattern.match(url)
            for service, pattern in backend_index.backend_url_patterns
        )

    assert recognised()
    with moto_patches.without("sync_host"):
        assert not recognised()


# --- EventBridge ------------------------------------------------------------------------------------


def _rule_to_queue(app: LocalApp, name: str, target: dict[str, Any], **rule: Any) -> str:
    sqs, events = app.client("sqs"), app.client("events")
    url = sqs.create_queue(QueueName=f"{name}-q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, **rule)
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn, **target}])
    return str(url)


def _put_probe(app: LocalApp) -> None:
    app.client("events").put_events(
        Entries=[{"Source": "probe", "DetailType": "Probe", "Detail": '{"n": 1}'}]
    )


def test_without_the_patch_a_scheduled_rule_matches_events(tiny_app: LocalApp) -> None:
    url = _rule_to_queue(tiny_app, "hourly", {}, ScheduleExpression="rate(1 hour)")
    _put_probe(tiny_app)
    assert tiny_app.receive_all(url) == []
    with moto_patches.without("send_to_targets"):
        _put_probe(tiny_app)
    assert [event["source"] for event in tiny_app.receive_all(url)] == ["probe"]


def test_without_the_patch_a_queue_target_gets_the_whole_event(tiny_app: LocalApp) -> None:
    url = _rule_to_queue(
        tiny_app, "detail-only", {"InputPath": "$.detail"}, EventPattern=json.dumps({"source": ["probe"]})
    )
    _put_probe(tiny_app)
    assert tiny_app.receive_all(url) == [{"n": 1}]
    with moto_patches.without("send_to_targets"):
        _put_probe(tiny_app)
    (whole,) = tiny_app.receive_all(url)
    assert whole["detail"] == {"n": 1} and whole["source"] == "probe"


def _replayed(app: LocalApp, url: str) -> list[tuple[int, str | None]]:
    return [(event["detail"]["n"], event.get("replay-name")) for event in app.receive_all(url)]


def test_without_the_patch_a_replay_ignores_its_window_and_its_rules(tiny_app: LocalApp) -> None:
    # Given two rules on a bus with an archive, and two events an hour apart
    events = tiny_app.client("events")
    bus_arn = events.describe_event_bus()["Arn"]
    archive = events.create_archive(
        ArchiveName="all", EventSourceArn=bus_arn, EventPattern='{"source": ["probe"]}'
    )
    wanted = _rule_to_queue(tiny_app, "wanted", {}, EventPattern='{"source": ["probe"]}')
    other = _rule_to_queue(tiny_app, "other", {}, EventPattern='{"source": ["probe"]}')
    first = tiny_app.now()
    events.put_events(Entries=[{"Source": "probe", "DetailType": "Probe", "Detail": '{"n": 1}'}])
    tiny_app.advance(timedelta(hours=1))
    events.put_events(Entries=[{"Source": "probe", "DetailType": "Probe", "Detail": '{"n": 2}'}])
    assert [n for n, _ in _replayed(tiny_app, wanted)] == [1, 2] and len(_replayed(tiny_app, other)) == 2

    def replay(name: str) -> str:
        return str(
            events.start_replay(
                ReplayName=name,
                EventSourceArn=archive["ArchiveArn"],
                EventStartTime=first - timedelta(minutes=1),
                EventEndTime=first + timedelta(minutes=30),
                Destination={"Arn": bus_arn, "FilterArns": [events.describe_rule(Name="wanted")["Arn"]]},
            )["State"]
        )

    # When the first half hour is replayed to one rule: it starts, and replays once the clock turns
    assert replay("half-hour") == "STARTING"
    assert events.describe_replay(ReplayName="half-hour")["State"] == "STARTING"
    tiny_app.advance(timedelta(seconds=1))
    assert events.describe_replay(ReplayName="half-hour")["State"] == "COMPLETED"
    # Then only the first event comes back, marked, and only to the rule named
    assert _replayed(tiny_app, wanted) == [(1, "half-hour")]
    assert _replayed(tiny_app, other) == []
    with moto_patches.without("replay_events"):
        replay("everything")
        # moto: over before it answers, every event of the archive, to every rule of the bus
        assert events.describe_replay(ReplayName="everything")["State"] == "COMPLETED"
    assert sorted(_replayed(tiny_app, wanted)) == [(1, "everything"), (2, "everything")]
    assert len(_replayed(tiny_app, other)) == 2


# --- SQS and DynamoDB: who hears of a write --------------------------------------------------------


@pytest.fixture
def writes_heard() -> Iterator[list[str]]:
    heard: list[str] = []
    stop = moto_patches.on_source_write(heard.append)
    yield heard
    stop()


def test_without_the_patch_an_arrival_tells_no_one(tiny_app: LocalApp, writes_heard: list[str]) -> None:
    sqs = tiny_app.client("sqs")
    url = sqs.create_queue(QueueName="heard")["QueueUrl"]
    with moto_patches.without("add_message"):
        sqs.send_message(QueueUrl=url, MessageBody="unheard")
    assert "heard" not in writes_heard
    sqs.send_message(QueueUrl=url, MessageBody="heard")
    assert "heard" in writes_heard


def test_without_the_patch_a_backlog_reads_the_clock_per_message(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import sqs_backends

    sqs = tiny_app.client("sqs")
    url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": str(n)} for n in range(10)])
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)
    (taken,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    queue = sqs_backends[tiny_app.account][tiny_app.region].queues["backlog"]
    reads = _counting_clock_reads(monkeypatch)
    visible = {m.body for m in queue.messages}
    assert reads[0] == 0  # the patch reads the clock once, through its own import
    with moto_patches.without("queue_messages"):
        # the same messages (neither the received one nor the delayed one), two reads per message
        assert {m.body for m in queue.messages} == visible == {str(n) for n in range(10)} - {taken["Body"]}
    assert reads[0] >= 10  # one per visible message (and VISIBILITY reads it once more for each)


def _backlog(app: LocalApp) -> tuple[Any, str, Any]:
    """A queue of 12: 10 waiting, 1 received (in flight), 1 delayed; its client, url, moto queue."""
    from moto.sqs.models import sqs_backends

    sqs = app.client("sqs")
    url = sqs.create_queue(QueueName="counted")["QueueUrl"]
    for n in range(11):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    return sqs, url, sqs_backends[app.account][app.region].queues["counted"]


def _counting_clock_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from moto.sqs import models as sqs_models

    reads = [0]
    shipped = sqs_models.unix_time_millis

    def counting(*args: Any) -> float:
        reads[0] += 1
        return shipped(*args)

    monkeypatch.setattr(sqs_models, "unix_time_millis", counting)
    return reads


def test_without_the_patches_a_backlog_is_counted_per_message(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqs, url, queue = _backlog(tiny_app)
    names = ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"]
    counted = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    assert counted == {names[0]: "1", names[1]: "1"}
    reads = _counting_clock_reads(monkeypatch)
    assert queue.approximate_number_of_messages_delayed == 1
    assert queue.approximate_number_of_messages_not_visible == 1
    assert reads[0] == 0  # the patches read the clock once, through their own import
    with moto_patches.without("queue_delayed_count"), moto_patches.without("queue_hidden_count"):
        # the same counts, the clock read for every message of the queue (moto's delayed rule
        # through its own import; the in-flight one through VISIBILITY's, per message as well)
        assert queue.approximate_number_of_messages_delayed == 1
        assert queue.approximate_number_of_messages_not_visible == 1
    assert reads[0] >= 12


def test_without_the_patch_a_receive_counts_the_backlog_per_message(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sqs.models import Queue, sqs_backends

    sqs, url, queue = _backlog(tiny_app)
    backend = sqs_backends[tiny_app.account][tiny_app.region]
    (kept,) = [m for m in queue._messages if m.body == "0"]
    built = [0]
    shipped = Queue.attributes

    def counting(self: Any) -> Any:
        built[0] += 1
        return shipped.fget(self)

    monkeypatch.setattr(Queue, "attributes", property(counting))
    assert backend.is_message_valid_based_on_retention_period("counted", kept)
    assert built[0] == 0
    with moto_patches.without("retention_check"):
        # the same answer, after building every attribute of the queue (counting its backlog)
        assert backend.is_message_valid_based_on_retention_period("counted", kept)
    assert built[0] >= 1
    # and the patch keeps moto's rule: a message past the queue's retention is not received
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    kept.sent_timestamp -= 61_000
    assert not backend.is_message_valid_based_on_retention_period("counted", kept)


def test_without_the_patch_a_stream_record_tells_no_one(tiny_app: LocalApp, writes_heard: list[str]) -> None:
    table = tiny_app.table_name("Tiny/Table")
    dynamodb = tiny_app.client("dynamodb")
    with moto_patches.without("add_stream_record"):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "unheard"}})
    assert table not in writes_heard
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "heard"}})
    assert table in writes_heard


def test_without_the_patch_a_long_poll_holds_storage_on_a_still_clock(tiny_app: LocalApp) -> None:
    from moto.sqs.models import sqs_backends

    sqs = tiny_app.client("sqs")
    url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    answers: list[Any] = []
    with moto_patches.without("receive_message"):
        poller = threading.Thread(
            target=lambda: answers.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)), daemon=True
        )
        poller.start()
        time.sleep(0.3)  # the poller's request is in moto's loop by then (a request takes ms)
        # moto polls inside the request: storage stays taken (half a second here, a thousand times
        # what a request holds it), and the still clock never ends it
        free = storage._LOCK.acquire(timeout=0.5)
        if free:
            storage._LOCK.release()
        # let it go: a message sent on moto's backend itself (the API would wait for storage)
        sqs_backends[tiny_app.account][tiny_app.region].send_message(
            queue_name="long-poll", message_body="ended"
        )
        poller.join(timeout=10)
    assert not free
    assert answers and answers[0]["Messages"][0]["Body"] == "ended"


# --- the costs paid once ----------------------------------------------------------------------------


def test_without_the_patch_every_member_walks_the_alias_providers(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core import serialize

    built = [0]
    shipped = serialize.AttributeAliasProvider.__init__

    def counting(self: Any, context: Any) -> None:
        built[0] += 1
        shipped(self, context)

    monkeypatch.setattr(serialize.AttributeAliasProvider, "__init__", counting)
    table = tiny_app.table_name("Tiny/Table")
    dynamodb = tiny_app.client("dynamodb")
    dynamodb.describe_table(TableName=table)
    built[0] = 0
    dynamodb.describe_table(TableName=table)
    assert built[0] == 0  # every lookup answered from what the first request worked out
    with moto_patches.without("possible_keys"):
        dynamodb.describe_table(TableName=table)
    assert built[0] > 50


def test_without_the_patch_every_jsonpath_is_parsed_again(tiny_app: LocalApp) -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    assert json_path.parse("$.order.lines") is json_path.parse("$.order.lines")
    with moto_patches.without("jsonpath_parse"):
        assert json_path.parse("$.order.lines") is not json_path.parse("$.order.lines")


def test_without_the_patch_every_event_parses_its_input_paths_again(tiny_app: LocalApp) -> None:
    import jsonpath_ng.ext
    from moto.events.utils import EventTemplateParser

    event = {"detail-type": "OrderPlaced", "ingestion-time": "0", "detail": {"orderId": "o-1"}}
    template, paths = '{"id": "<id>"}', {"id": "$.detail.orderId"}
    assert jsonpath_ng.ext.parse("$.detail.orderId") is jsonpath_ng.ext.parse("$.detail.orderId")
    assert EventTemplateParser.parse(template, paths, event) == {"id": "o-1"}  # type: ignore[arg-type]
    with moto_patches.without("event_input_path_parse"):
        assert jsonpath_ng.ext.parse("$.detail.orderId") is not jsonpath_ng.ext.parse("$.detail.orderId")
        # the same delivery either way
        assert EventTemplateParser.parse(template, paths, event) == {"id": "o-1"}  # type: ignore[arg-type]


def test_without_the_patch_every_request_reads_its_response_class_again(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import inspect

    reads = [0]
    shipped = inspect.getmembers

    def counting(subject: Any, predicate: Any = None) -> Any:
        reads[0] += 1
        return shipped(subject, predicate)

    monkeypatch.setattr(inspect, "getmembers", counting)
    table = tiny_app.table_name("Tiny/Table")
    dynamodb = tiny_app.client("dynamodb")
    dynamodb.describe_table(TableName=table)
    reads[0] = 0
    dynamodb.describe_table(TableName=table)
    assert reads[0] == 0  # the action's name found from what the first request worked out
    with moto_patches.without("action_names"):
        dynamodb.describe_table(TableName=table)
        dynamodb.describe_table(TableName=table)
    assert reads[0] == 2


def test_without_the_patch_every_new_backend_lists_its_regions_again(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3.session
    from moto.core.base_backend import AccountSpecificBackend
    from moto.sqs.models import SQSBackend

    listed = [0]
    shipped = boto3.session.Session.get_available_regions

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        listed[0] += 1
        return shipped(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "get_available_regions", counting)

    def new_backend() -> list[str]:
        return list(AccountSpecificBackend("sqs", "210987654321", SQSBackend, True, None).regions)

    first = new_backend()
    listed[0] = 0
    assert new_backend() == first
    assert listed[0] == 0  # the second account's backend listed nothing
    with moto_patches.without("service_regions"):
        assert new_backend() == first  # the same regions, walked again
    assert listed[0] > 0
    assert "eu-west-1" in first and "cn-north-1" in first  # every partition's


def test_without_the_patch_every_member_builds_a_picking_context(
    tiny_app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core import serialize

    built = [0]
    shipped = serialize.AttributePickerContext.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built[0] += 1
        shipped(self, *args, **kwargs)

    monkeypatch.setattr(serialize.AttributePickerContext, "__init__", counting)
    table = tiny_app.table_name("Tiny/Table")
    dynamodb = tiny_app.client("dynamodb")
    first = dynamodb.describe_table(TableName=table)["Table"]
    built[0] = 0
    assert dynamodb.describe_table(TableName=table)["Table"] == first
    assert built[0] == 0  # every member looked up by the keys the first request found
    with moto_patches.without("member_values"):
        assert dynamodb.describe_table(TableName=table)["Table"] == first
    assert built[0] > 20  # one per member of the description
