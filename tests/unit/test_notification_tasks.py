"""Account-change notification, pure parts: reading the stream record, diffing the images (every
DynamoDB type), composing the notice, and mapping SES's failures."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from account_notification.changes import account_change, diff_images, shown
from account_notification.errors import EmailRejected, EmailThrottled, InvalidAccountChange, NoVerifiedEmail
from account_notification.mailer import send_email
from account_notification.notice import compose, label, recipient

SECURITY = (
    "address",
    "email",
    "phone",
    "mfa.totp",
    "recoveryCodes",
    "backupKey",
    "limits",
    "flags",
    "devices",
)
SECRET = ("recoveryCodes", "backupKey")
SUB = "7d4f0c3e-1111-4222-8333-444455556666"


def _record(
    old: dict[str, Any] | None, new: dict[str, Any] | None, *, without: str = "", **overrides: Any
) -> list[dict[str, Any]]:
    """A pipe batch of one stream record as Pipes deliver it (`without`: a stream field left out)."""
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": 1796000000,
        "Keys": {"pk": {"S": SUB}},
        "SequenceNumber": "1100000000017454423010",
        "SizeBytes": 512,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        dynamodb["OldImage"] = {"sub": {"S": SUB}, **old}
    if new is not None:
        dynamodb["NewImage"] = {"sub": {"S": SUB}, **new}
    dynamodb.pop(without, None)
    record = {
        "eventID": "evt-1",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/Accounts/stream/2026-11-30",
        "dynamodb": dynamodb,
    }
    return [{**record, **overrides}]


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    change = account_change(_record(old, new), SECURITY, SECRET)
    return [(c.path, c.kind, c.shown) for c in change.changes]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"phone": {"S": "1"}}, {"phone": {"S": "2"}}, [("phone", "CHANGED", "2")]),
        ({}, {"email": {"S": "a@b"}}, [("email", "ADDED", "a@b")]),
        ({"email": {"S": "a@b"}}, {}, [("email", "REMOVED", None)]),
        ({"limits": {"N": "10"}}, {"limits": {"N": "10.0"}}, []),  # numbers compare as numbers
        ({"limits": {"N": "10"}}, {"limits": {"N": "12.50"}}, [("limits", "CHANGED", "12.5")]),
        ({"flags": {"SS": ["a", "b"]}}, {"flags": {"SS": ["b", "a"]}}, []),  # sets are unordered
        ({"flags": {"NS": ["1"]}}, {"flags": {"NS": ["1", "2"]}}, [("flags", "CHANGED", "1, 2")]),
        (
            {"devices": {"L": [{"S": "x"}]}},
            {"devices": {"L": [{"S": "x"}, {"N": "3"}]}},
            [("devices", "CHANGED", "x, 3")],
        ),
        (
            {"mfa": {"M": {"totp": {"BOOL": False}}}},
            {"mfa": {"M": {"totp": {"BOOL": True}}}},
            [("mfa.totp", "CHANGED", "yes")],
        ),
        (
            {"mfa": {"M": {"sms": {"BOOL": True}}}},
            {"mfa": {"M": {"sms": {"BOOL": False}}}},
            [],
        ),  # not a configured path
        (
            {"address": {"M": {"city": {"S": "A"}}}},
            {"address": {"M": {"city": {"S": "B"}}}},
            [("address", "CHANGED", "city: B")],
        ),
        ({"phone": {"NULL": True}}, {"phone": {"S": "5"}}, [("phone", "CHANGED", "5")]),
        (
            {"backupKey": {"B": b"old"}},
            {"backupKey": {"B": b"new"}},
            [("backupKey", "CHANGED", None)],
        ),  # secret
        ({"recoveryCodes": {"BS": [b"1"]}}, {}, [("recoveryCodes", "REMOVED", None)]),
        ({"nickname": {"S": "a"}}, {"nickname": {"S": "b"}}, []),
    ],
)
def test_every_attribute_type_is_diffed(
    old: dict[str, Any], new: dict[str, Any], expected: list[Any]
) -> None:
    assert _changes(old, new) == expected


def test_changes_come_in_the_configured_order_and_secrets_are_flagged() -> None:
    change = account_change(
        _record(
            {"recoveryCodes": {"SS": ["1"]}, "phone": {"S": "1"}},
            {"recoveryCodes": {"SS": ["2"]}, "phone": {"S": "2"}},
        ),
        SECURITY,
        SECRET,
    )
    assert [(c.path, c.secret) for c in change.changes] == [("phone", False), ("recoveryCodes", True)]
    assert (change.event_id, change.sub, change.changed_at) == ("evt-1", SUB, "2026-11-30T00:53:20+00:00")


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        ("not a batch", "exactly one"),
        ([], "exactly one"),
        (_record({}, {}) * 2, "exactly one"),
        (_record({}, {}, eventName="INSERT"), "MODIFY"),
        (_record({}, {}, eventID=""), "eventID"),
        (_record(None, {}), "OldImage"),
        (_record({}, None), "NewImage"),
        (_record({"sub": {"Q": "?"}}, {}), "DynamoDB JSON"),
        (_record({}, {}, eventSource="aws:sqs"), "eventSource"),
        (_record({}, {"sub": {"N": "1"}}), "no sub"),
        (_record({}, {"sub": {"S": "  "}}), "no sub"),
        (_record({"sub": {"S": "someone-else"}}, {}), "differs"),
        (_record({}, {}, without="ApproximateCreationDateTime"), "ApproximateCreationDateTime"),
    ],
)
def test_a_record_that_is_not_an_account_change_is_named(records: Any, problem: str) -> None:
    with pytest.raises(InvalidAccountChange, match=problem):
        account_change(records, SECURITY, SECRET)


def test_long_values_are_cut() -> None:
    assert len(shown("x" * 1000)) == 200
    assert diff_images({}, {"phone": "1"}, ["phone", "phone"], []) == diff_images(
        {}, {"phone": "1"}, ["phone"], []
    )


def _attributes(**values: str) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in values.items()]


def test_the_recipient_is_the_verified_address_with_the_name() -> None:
    to = recipient(
        _attributes(email="ada@example.com", email_verified="true", given_name="Ada", family_name="L")
    )
    assert (to.email, to.name) == ("ada@example.com", "Ada L")
    assert recipient(_attributes(email="x@y", email_verified="True")).name == "there"


@pytest.mark.parametrize(
    "attributes",
    [
        _attributes(email="ada@example.com"),
        _attributes(email="ada@example.com", email_verified="false"),
        _attributes(),
    ],
)
def test_no_verified_address_is_a_named_error(attributes: list[dict[str, str]]) -> None:
    with pytest.raises(NoVerifiedEmail):
        recipient(attributes)


def test_the_notice_lists_every_change_and_never_shows_a_secret() -> None:
    to = recipient(_attributes(email="a@b.c", email_verified="true", given_name="Ada"))
    changes = [
        {"path": "address", "kind": "CHANGED", "secret": False, "shown": "city: Paris"},
        {"path": "recoveryCodes", "kind": "ADDED", "secret": True, "shown": "should-not-appear"},
        {"path": "phone", "kind": "REMOVED", "secret": False, "shown": None},
        {"path": "mfa.totp", "kind": "CHANGED", "secret": False, "shown": "yes"},
    ]
    notice = compose(changes, "2026-11-30T06:00:00+00:00", to)
    assert notice.to == "a@b.c"
    assert notice.subject == "Security notice: 4 settings changed on your account"
    assert "Hello Ada," in notice.body and "2026-11-30T06:00:00+00:00 (UTC)" in notice.body
    assert "- Postal address: changed to city: Paris\n" in notice.body
    assert "- Recovery codes: added\n" in notice.body
    assert "- Phone number: removed\n" in notice.body
    assert "- Multi-factor authentication (totp): changed to yes" in notice.body
    assert "should-not-appear" not in notice.body
    assert label("somethingNew") == "SomethingNew"


class _Ses:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        self.sent.append(request)
        return {"MessageId": "m-1"}


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "SendEmail")


def test_sending_returns_the_message_id() -> None:
    ses = _Ses()
    assert send_email("from@x", "to@y", "s", "b", client=ses) == "m-1"
    assert ses.sent[0]["Destination"] == {"ToAddresses": ["to@y"]}


@pytest.mark.parametrize(
    ("error", "named"),
    [
        (_client_error("TooManyRequestsException"), EmailThrottled),
        (_client_error("LimitExceededException"), EmailThrottled),
        (EndpointConnectionError(endpoint_url="https://email"), EmailThrottled),
        (_client_error("MessageRejected"), EmailRejected),
        (_client_error("NotFoundException"), EmailRejected),
    ],
)
def test_ses_failures_become_the_workflows_named_errors(error: Exception, named: type[Exception]) -> None:
    with pytest.raises(named):
        send_email("from@x", "to@y", "s", "b", client=_Ses(error))


def test_the_notification_logger_masks_personal_data_wherever_it_is(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from observability import powertools

    logger, _, _ = powertools("masking-test", mask_personal_data=True)
    logger.info(
        "composed",
        extra={
            "email": "ada@example.com",
            "user": {"givenName": "Ada", "attrs": [{"family_name": "L"}]},
            "sub": "s-1",
        },
    )
    line = capsys.readouterr().out
    assert "ada@example.com" not in line and '"Ada"' not in line and '"L"' not in line
    assert '"sub":"s-1"' in line.replace(" ", "") and "*****" in line


def _plain(old: dict[str, Any] | None, new: dict[str, Any] | None, **overrides: Any) -> dict[str, Any]:
    """The change as a person starts the workflow with it: plain JSON, no stream record."""
    change: dict[str, Any] = {"eventId": "evt-1", "changedAt": "2026-11-30T01:53:20+01:00"}
    if old is not None:
        change["oldImage"] = {"sub": SUB, **old}
    if new is not None:
        change["newImage"] = {"sub": SUB, **new}
    return {**change, **overrides}


@pytest.mark.parametrize(
    ("old", "new", "record_old", "record_new"),
    [
        ({"phone": "1"}, {"phone": "2"}, {"phone": {"S": "1"}}, {"phone": {"S": "2"}}),
        ({"limits": 10}, {"limits": 10.0}, {"limits": {"N": "10"}}, {"limits": {"N": "10.0"}}),
        ({"limits": 10}, {"limits": 12.5}, {"limits": {"N": "10"}}, {"limits": {"N": "12.50"}}),
        (
            {"mfa": {"totp": False}},
            {"mfa": {"totp": True}},
            {"mfa": {"M": {"totp": {"BOOL": False}}}},
            {"mfa": {"M": {"totp": {"BOOL": True}}}},
        ),
        ({"phone": None}, {"phone": "5"}, {"phone": {"NULL": True}}, {"phone": {"S": "5"}}),
        ({}, {"email": "a@b"}, {}, {"email": {"S": "a@b"}}),
        (
            {"devices": ["x"]},
            {"devices": ["x", 3]},
            {"devices": {"L": [{"S": "x"}]}},
            {"devices": {"L": [{"S": "x"}, {"N": "3"}]}},
        ),
        ({"nickname": "a"}, {"nickname": "b"}, {"nickname": {"S": "a"}}, {"nickname": {"S": "b"}}),
    ],
)
def test_a_plain_change_started_by_hand_reads_as_its_stream_record_does(
    old: dict[str, Any], new: dict[str, Any], record_old: dict[str, Any], record_new: dict[str, Any]
) -> None:
    by_hand = account_change(_plain(old, new), SECURITY, SECRET)
    streamed = account_change(_record(record_old, record_new), SECURITY, SECRET)
    assert by_hand == streamed  # the same event id, sub, time and changes


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_plain({}, {}, eventId=""), "no eventId"),
        ({k: v for k, v in _plain({}, {}).items() if k != "eventId"}, "no eventId"),
        (_plain(None, {}), "no oldImage"),
        (_plain({}, None), "no newImage"),
        (_plain({}, {}, changedAt="yesterday"), "changedAt must be an ISO 8601 time"),
        (_plain({}, {}, changedAt="2026-11-30T00:53:20"), "with its offset"),
        (_plain({}, {"sub": "someone-else"}), "differs"),
        (_plain({}, {"sub": 7}), "no sub"),
    ],
)
def test_a_plain_change_meets_the_same_checks_by_name(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidAccountChange, match=problem):
        account_change(change, SECURITY, SECRET)
