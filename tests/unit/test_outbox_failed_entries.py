"""Selecting the entries PutEvents rejected, and the backoff between attempts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from order_store.events import PutEventsEntry
from order_store.models import OutboxKey
from outbox_publisher.logic import backoff_delay, select_failed_entries
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


def test_a_failure_count_without_a_failed_entry_ends_the_retries() -> None:
    # Given a response that claims a failure but marks no entry as failed
    request = _batch([True, True]).model_copy(
        update={"put_result": _batch([True, True]).put_result.model_copy(update={"failed_entry_count": 1})}
    )
    # When selected / Then there is nothing to retry, and the workflow settles the batch
    retry = select_failed_entries(request, DEFAULTS)
    assert retry.entries == [] and retry.exhausted is True


def test_a_result_list_of_the_wrong_length_is_a_contract_break() -> None:
    # Given a putResult with fewer results than entries
    event = _batch([False, False]).model_dump(mode="json")
    event["putResult"]["Entries"] = event["putResult"]["Entries"][:1]
    # When parsed / Then it is refused
    with pytest.raises(ValueError, match="one result per entry"):
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
