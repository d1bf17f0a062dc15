"""Selecting the entries PutEvents rejected, and the backoff between attempts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order_store.events import PutEventsEntry
from order_store.models import OutboxKey
from outbox_publisher.logic import (
    ENTRY_ERROR_CODE_MAX_BYTES,
    ENTRY_ERROR_MESSAGE_MAX_BYTES,
    backoff_delay,
    select_failed_entries,
)
from outbox_publisher.schemas import FailedEntriesRequest
from outbox_publisher.settings import RetrySettings

DEFAULTS = RetrySettings()


def _batch(outcomes: list[bool], attempt: int = 1) -> FailedEntriesRequest:
    """A batch after PutEvents; ``outcomes[i]`` says whether entry i was accepted."""
    entries = [
        PutEventsEntry(source="src", detail_type="OrderPlaced", detail=f'{{"n":{i}}}', event_bus_name="bus")
        for i in range(len(outcomes))
    ]
    keys = [
        OutboxKey(pk=f"ORDER#{i}", sk="OUTBOX#0000000001", event_id=f"event-{i}")
        for i in range(len(outcomes))
    ]
    results = [
        {"EventId": f"bus-{i}"}
        if ok
        else {"ErrorCode": "ThrottlingException", "ErrorMessage": f"slow down {i}"}
        for i, ok in enumerate(outcomes)
    ]
    return FailedEntriesRequest.model_validate(
        {
            "attempt": attempt,
            "entries": [entry.model_dump() for entry in entries],
            "keys": [key.model_dump() for key in keys],
            "putResult": {"FailedEntryCount": outcomes.count(False), "Entries": results},
        }
    )


@given(st.lists(st.booleans(), min_size=1, max_size=10), st.integers(min_value=1, max_value=10))
def test_failed_selection_keeps_exactly_the_rejected_entries_aligned(
    outcomes: list[bool], attempt: int
) -> None:
    # Given a batch where some entries were rejected
    request = _batch(outcomes, attempt)
    # When the failed entries are selected
    retry = select_failed_entries(request, DEFAULTS)
    # Then they are exactly the rejected ones, in order, still aligned with their keys; together
    # with the accepted ones they partition the batch
    rejected = [i for i, ok in enumerate(outcomes) if not ok]
    assert retry.entries == [request.entries[i] for i in rejected]
    assert retry.keys == [request.keys[i] for i in rejected]
    accepted = [key for key, ok in zip(request.keys, outcomes, strict=True) if ok]
    assert sorted(k.event_id for k in accepted + retry.keys) == sorted(k.event_id for k in request.keys)
    assert not set(accepted) & set(retry.keys)
    assert [error.event_id for error in retry.last_errors] == [key.event_id for key in retry.keys]
    assert retry.attempt == attempt + 1


def test_the_output_is_what_the_state_machine_selects() -> None:
    # Given a first attempt where the second of two entries was throttled
    request = _batch([True, False])
    # When selected and dumped as the handler does
    output = select_failed_entries(request, DEFAULTS).model_dump(mode="json")
    # Then the output has exactly the ResultSelector's fields
    assert output == {
        "attempt": 2,
        "entries": [request.entries[1].model_dump()],
        "keys": [{"pk": "ORDER#1", "sk": "OUTBOX#0000000001", "eventId": "event-1"}],
        "delaySeconds": 1,
        "exhausted": False,
        "lastErrors": [
            {"eventId": "event-1", "errorCode": "ThrottlingException", "errorMessage": "slow down 1"}
        ],
    }


@pytest.mark.parametrize(("attempt", "exhausted"), [(1, False), (3, False), (4, True), (5, True)])
def test_the_batch_is_exhausted_when_the_attempt_budget_is_spent(attempt: int, exhausted: bool) -> None:
    # Given a failed entry after some attempts, with a budget of 4 attempts
    # When selected / Then it is exhausted from the 4th attempt on
    assert select_failed_entries(_batch([False], attempt), DEFAULTS).exhausted is exhausted


def _answered(
    request: FailedEntriesRequest, failed_entry_count: int, *results: dict[str, str]
) -> FailedEntriesRequest:
    """The same batch with another PutEvents answer."""
    event = request.model_dump(mode="json")
    event["putResult"] = {"FailedEntryCount": failed_entry_count, "Entries": list(results)}
    return FailedEntriesRequest.model_validate(event)


@pytest.mark.parametrize(
    "results",
    [
        [{}, {}],  # neither an EventId nor an ErrorCode
        [{"EventId": "bus-0"}, {"EventId": "bus-1"}],  # every entry looks accepted
    ],
    ids=["empty-results", "event-ids-only"],
)
def test_failures_no_entry_names_fail_every_entry_until_the_budget_is_spent(
    results: list[dict[str, str]],
) -> None:
    # Given a first attempt whose answer counts two failures but names none
    request = _answered(_batch([True, True]), 2, *results)
    # When selected
    retry = select_failed_entries(request, DEFAULTS)
    # Then every entry is retried after the usual backoff, none taken for published
    assert retry.keys == request.keys and retry.entries == request.entries
    assert (retry.exhausted, retry.delay_seconds, retry.attempt) == (False, 1, 2)
    # and each carries an error that says what happened
    assert {error.error_code for error in retry.last_errors} == {"UnattributedFailure"}
    assert all(e.error_message.startswith("PutEvents reported FailedEntryCount 2") for e in retry.last_errors)
    # When the budget is spent with the same answer / Then the batch is exhausted with every entry
    last = select_failed_entries(
        request.model_copy(update={"attempt": DEFAULTS.max_publish_attempts}), DEFAULTS
    )
    assert last.exhausted is True and last.keys == request.keys


def test_an_unexplained_failure_next_to_a_named_one_fails_the_whole_batch() -> None:
    # Given an answer that names one failure but counts two
    request = _answered(
        _batch([True, True, True]),
        2,
        {"EventId": "bus-0"},
        {"ErrorCode": "ThrottlingException", "ErrorMessage": "x"},
        {"EventId": "bus-2"},
    )
    # When selected / Then all three are retried; the named one keeps its own error
    retry = select_failed_entries(request, DEFAULTS)
    assert retry.keys == request.keys
    assert [(e.error_code, e.error_message[:28]) for e in retry.last_errors] == [
        ("UnattributedFailure", "PutEvents reported FailedEnt"),
        ("ThrottlingException", "x"),
        ("UnattributedFailure", "PutEvents reported FailedEnt"),
    ]
    assert "FailedEntryCount 2 with only 1 named by an entry error" in retry.last_errors[0].error_message


def test_an_entry_with_both_an_event_id_and_an_error_code_failed() -> None:
    # Given a result carrying an EventId and an ErrorCode
    request = _answered(
        _batch([True, True]), 1, {"EventId": "bus-0", "ErrorCode": "InternalFailure"}, {"EventId": "bus-1"}
    )
    # When selected / Then that entry is retried and the other is accepted
    retry = select_failed_entries(request, DEFAULTS)
    assert retry.keys == [request.keys[0]]
    assert [(e.error_code, e.error_message) for e in retry.last_errors] == [("InternalFailure", "")]


def test_entries_without_a_result_failed() -> None:
    # Given three entries and an answer with one result only
    request = _answered(
        _batch([True, True, True]), 1, {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
    )
    # When selected / Then all three are retried, the two without a result as such
    retry = select_failed_entries(request, DEFAULTS)
    assert retry.keys == request.keys and retry.exhausted is False
    assert [e.error_code for e in retry.last_errors] == ["InternalFailure", "MissingResult", "MissingResult"]


_RESULTS = st.sampled_from(
    [
        {"EventId": "bus"},
        {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"},
        {"EventId": "bus", "ErrorCode": "InternalFailure"},
        {},
    ]
)


@given(st.lists(_RESULTS, min_size=1, max_size=10), st.integers(0, 10), st.integers(0, 10))
def test_an_entry_is_taken_for_accepted_only_when_the_answer_proves_it(
    results: list[dict[str, str]], count: int, missing: int
) -> None:
    # Given any answer: any mix of results, any FailedEntryCount >= 1, maybe results missing
    request = _answered(_batch([True] * len(results)), max(count, 1), *results[: len(results) - missing])
    # When selected
    retry = select_failed_entries(request, DEFAULTS)
    # Then at least as many entries are retried as the answer counts failures, none is lost, and
    # an entry is left out only when it has a result with an EventId and no ErrorCode
    assert len(retry.keys) >= min(request.put_result.failed_entry_count, len(results))
    answered = request.put_result.entries
    for index, key in enumerate(request.keys):
        proven = index < len(answered) and answered[index].event_id and not answered[index].error_code
        assert key in retry.keys or proven
    assert [e.event_id for e in retry.last_errors] == [k.event_id for k in retry.keys]


def test_a_reported_error_is_bounded_in_bytes_for_the_state_budget() -> None:
    # Given an entry rejected with a huge multi-byte code and message
    request = _answered(_batch([True]), 1, {"ErrorCode": "É" * 300, "ErrorMessage": "é" * 5000})
    # When selected
    [error] = select_failed_entries(request, DEFAULTS).last_errors
    # Then both are cut to their byte bounds, on character boundaries
    assert error.error_code == "É" * (ENTRY_ERROR_CODE_MAX_BYTES // 2)
    assert error.error_message == "é" * (ENTRY_ERROR_MESSAGE_MAX_BYTES // 2)


def test_more_results_than_entries_is_a_contract_break() -> None:
    # Given a putResult with more results than entries
    event = _batch([False]).model_dump(mode="json")
    event["putResult"]["Entries"].append({"EventId": "bus-9"})
    # When parsed / Then it is refused: the results cannot be lined up with the entries
    with pytest.raises(ValueError, match="at most one result per entry"):
        FailedEntriesRequest.model_validate(event)


@pytest.mark.parametrize(("attempt", "delay"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (60, 8)])
def test_default_backoff_doubles_up_to_the_cap(attempt: int, delay: int) -> None:
    # Given the default base 1s, cap 8s / When computing the delay / Then it doubles and is capped
    assert backoff_delay(attempt, 1, 8) == delay


@given(
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=0, max_value=3600),
    st.integers(min_value=0, max_value=3600),
)
def test_backoff_is_bounded_and_non_decreasing(attempt: int, base: int, cap: int) -> None:
    # Given any base and cap / When two consecutive attempts' delays are computed
    current, following = backoff_delay(attempt, base, cap), backoff_delay(attempt + 1, base, cap)
    # Then they never exceed the cap, never go below zero, and never shrink
    assert 0 <= current <= cap
    assert current <= following
    assert isinstance(current, int)


def test_attempts_are_one_based() -> None:
    # Given attempt 0 / Then it is refused rather than silently producing half a second
    with pytest.raises(ValueError, match="1-based"):
        backoff_delay(0, 1, 8)
