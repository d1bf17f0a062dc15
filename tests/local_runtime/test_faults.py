"""EventBusProbe fails the entries a test chooses, and the workflow engine sees what AWS would send."""

from __future__ import annotations

import json
from typing import Any

from local_runtime import LocalApp


def _entry(n: int) -> dict[str, Any]:
    return {"Source": "shop", "DetailType": "Ping", "Detail": json.dumps({"eventId": f"e-{n}"})}


def _put_definition(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
                "Parameters": {"Entries": entries},
                "End": True,
            }
        },
    }


def _put_through_the_engine(app: LocalApp, entries: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """PutEvents as the outbox publisher calls it: an aws-sdk task of a state machine."""
    sfn = app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"faults-{name}",
        definition=json.dumps(_put_definition(entries)),
        roleArn=f"arn:aws:iam::{app.account}:role/x",
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"]
    description = app.wait_for(arn)
    assert description["status"] == "SUCCEEDED", description
    output: dict[str, Any] = json.loads(description["output"])
    return output


def _delivered(app: LocalApp, tap: str) -> list[str]:
    return [event["detail"]["eventId"] for event in app.receive_all(tap)]


def test_a_rejected_entry_carries_the_chosen_error_and_the_rest_is_delivered(tiny_app: LocalApp) -> None:
    # Given a consumer on the default bus and a probe rejecting e-1 once, with a chosen error
    tap = tiny_app.subscribe("default", {"source": ["shop"]})
    tiny_app.bus.reject_event_ids({"e-1"}, times=1, error_code="ThrottlingException", error_message="x")
    # When a batch of three is put, twice
    first = _put_through_the_engine(tiny_app, [_entry(n) for n in range(3)], "first")
    second = _put_through_the_engine(tiny_app, [_entry(1)], "second")
    # Then the first answer names the rejected entry with that error, the second accepts it
    assert first["FailedEntryCount"] == 1
    assert first["Entries"][1] == {"ErrorCode": "ThrottlingException", "ErrorMessage": "x"}
    assert all("EventId" in first["Entries"][n] for n in (0, 2))
    assert second["FailedEntryCount"] == 0
    # and the consumer got each event once, e-1 only after its rejection ran out
    assert sorted(_delivered(tiny_app, tap)) == ["e-0", "e-1", "e-2"]
    assert (tiny_app.bus.calls, tiny_app.bus.entries, tiny_app.bus.rejected) == (2, 4, 1)


def test_an_unattributed_failure_is_counted_but_marks_no_entry(tiny_app: LocalApp) -> None:
    # Given a probe failing e-0 without saying which entry failed
    tap = tiny_app.subscribe("default", {"source": ["shop"]})
    tiny_app.bus.fail_unattributed(lambda entry: "e-0" in entry["Detail"])
    # When a batch of two is put
    answer = _put_through_the_engine(tiny_app, [_entry(0), _entry(1)], "unattributed")
    # Then FailedEntryCount counts the failure, but its result has neither an EventId nor an ErrorCode
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][0] == {}
    assert set(answer["Entries"][1]) == {"EventId"}
    # and the failed entry never reached the bus
    assert _delivered(tiny_app, tap) == ["e-1"]
    # When the probe is cleared / Then the entry goes through
    tiny_app.bus.clear()
    assert _put_through_the_engine(tiny_app, [_entry(0)], "cleared")["FailedEntryCount"] == 0
    assert _delivered(tiny_app, tap) == ["e-0"]


def test_a_failed_call_is_an_error_the_engine_names_after_the_service(tiny_app: LocalApp) -> None:
    # Given a probe failing the next call as a whole
    tap = tiny_app.subscribe("default", {"source": ["shop"]})
    tiny_app.bus.fail_calls(1, error_code="InternalException", message="the bus is down")
    # When a batch is put through the engine, twice
    sfn = tiny_app.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="faults-call",
        definition=json.dumps(_put_definition([_entry(0)])),
        roleArn=f"arn:aws:iam::{tiny_app.account}:role/x",
    )["stateMachineArn"]
    failed = tiny_app.wait_for(sfn.start_execution(stateMachineArn=machine, name="down")["executionArn"])
    recovered = tiny_app.wait_for(sfn.start_execution(stateMachineArn=machine, name="up")["executionArn"])
    # Then the first task fails with the service's error name and the message in its cause; the
    # second call is answered as usual
    assert (failed["status"], failed["error"]) == ("FAILED", "EventBridge.InternalException")
    assert "the bus is down" in failed["cause"]
    assert recovered["status"] == "SUCCEEDED"
    assert _delivered(tiny_app, tap) == ["e-0"]
    assert tiny_app.bus.calls == 2
