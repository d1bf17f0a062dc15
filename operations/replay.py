"""Replay the platform's archived events: to a consumer that missed them, or one added since.

Usage, against AWS or any endpoint that speaks its APIs::

    python -m operations.replay --outputs outputs.json --from 2026-12-01T00:00:00Z \\
        --to 2026-12-02T00:00:00Z [--rule NAME ...] [--name NAME] [--endpoint-url URL]

It starts an EventBridge replay of the bus's archive (output ``EventArchiveArn``) over the
window [--from, --to), to the named rules of the platform bus only (``--rule``, repeatable: a
consumer's rule) or to every rule, waits for it to end and reports it. Replayed events carry
``replay-name``; every consumer in the platform deduplicates on what the event names (the saga on
its order's lock, the claim resolve on its claim), so a replay changes nothing twice: each
replayed delivery ends as a named duplicate (``DuplicateDelivery``, ``DuplicateClaim``).

Exit status 0 when the replay completed, 1 when it failed, was cancelled or did not end within
``--timeout``, 2 on bad usage (a window that is not one, a rule the bus does not have).
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operations.stack_outputs import stack_outputs
from workflows.constants import OUTPUT_EVENT_ARCHIVE_ARN, OUTPUT_EVENT_BUS_NAME

ENDED = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


class ReplayRefused(Exception):
    """A replay that cannot be started as asked (its window, its rules)."""


@dataclass(frozen=True)
class ReplayReport:
    name: str
    state: str
    window: tuple[datetime, datetime]
    rules: tuple[str, ...]
    archived_events: int
    reason: str | None
    last_replayed: datetime | None

    @property
    def ok(self) -> bool:
        return self.state == "COMPLETED"

    def lines(self) -> list[str]:
        start, end = (moment.isoformat() for moment in self.window)
        return [
            f"replay {self.name}: {self.state}{f' ({self.reason})' if self.reason else ''}",
            f"  window       {start} to {end}",
            f"  to rules     {', '.join(self.rules) or 'every rule of the bus'}",
            f"  archive      {self.archived_events} events kept",
            f"  last event   {self.last_replayed.isoformat() if self.last_replayed else 'not reported'}",
        ]


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time (UTC when it names no zone); ValueError otherwise."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def replay(
    events: Any,
    *,
    archive_arn: str,
    bus_name: str,
    start: datetime,
    end: datetime,
    rules: Sequence[str] = (),
    name: str | None = None,
    timeout: float = 3600.0,
    poll: float = 5.0,
    sleep: Callable[[float], None] | None = None,
) -> ReplayReport:
    """Start a replay of [start, end) to ``rules`` (names on the bus; all when empty) and wait for
    it to end (or ``timeout`` seconds, waited with ``sleep``: `time.sleep` as it is when called,
    which a runtime on a virtual clock replaces). ReplayRefused when the window or a rule is not
    valid."""
    pause = sleep or time.sleep
    if start >= end:
        raise ReplayRefused(f"--from {start.isoformat()} is not before --to {end.isoformat()}")
    bus_arn = events.describe_event_bus(Name=bus_name)["Arn"]
    rule_arns = [_rule_arn(events, rule, bus_name) for rule in rules]
    replay_name = name or f"replay-{start:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    destination: dict[str, Any] = {"Arn": bus_arn}
    if rule_arns:
        destination["FilterArns"] = rule_arns
    events.start_replay(
        ReplayName=replay_name,
        EventSourceArn=archive_arn,
        EventStartTime=start,
        EventEndTime=end,
        Destination=destination,
    )
    waited = 0.0
    described = events.describe_replay(ReplayName=replay_name)
    while described["State"] not in ENDED and waited < timeout:
        pause(poll)
        waited += poll
        described = events.describe_replay(ReplayName=replay_name)
    archive_name = archive_arn.rsplit("/", 1)[-1]
    archived = int(events.describe_archive(ArchiveName=archive_name).get("EventCount", 0))
    state = (
        described["State"]
        if described["State"] in ENDED
        else f"{described['State']} (still, after {timeout:g} s)"
    )
    return ReplayReport(
        name=replay_name,
        state=state,
        window=(start, end),
        rules=tuple(rules),
        archived_events=archived,
        reason=described.get("StateReason"),
        last_replayed=described.get("EventLastReplayedTime"),
    )


def _rule_arn(events: Any, rule: str, bus_name: str) -> str:
    try:
        return str(events.describe_rule(Name=rule, EventBusName=bus_name)["Arn"])
    except events.exceptions.ResourceNotFoundException:
        raise ReplayRefused(f"the bus {bus_name} has no rule {rule}") from None


def main(
    argv: Sequence[str] | None = None, events: Any = None, sleep: Callable[[float], None] | None = None
) -> int:
    """The command; ``events`` and ``sleep`` are given by a caller that has its own (a test's app)."""
    parser = argparse.ArgumentParser(prog="python -m operations.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--outputs", type=Path, required=True, help="the cdk deploy --outputs-file JSON")
    parser.add_argument("--from", dest="start", required=True, help="ISO 8601 start of the window (included)")
    parser.add_argument("--to", dest="end", required=True, help="ISO 8601 end of the window (excluded)")
    parser.add_argument(
        "--rule", action="append", dest="rules", default=[], help="only this rule (repeatable)"
    )
    parser.add_argument("--name", help="the replay's name (default: replay-<from>-<random>)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the end")
    parser.add_argument("--endpoint-url", help="another endpoint than AWS (a local one)")
    args = parser.parse_args(argv)
    try:
        outputs = stack_outputs(args.outputs, (OUTPUT_EVENT_ARCHIVE_ARN, OUTPUT_EVENT_BUS_NAME))
        start, end = parse_moment(args.start), parse_moment(args.end)
    except (OSError, ValueError) as error:
        print(f"replay: {error}", file=sys.stderr)
        return 2
    if events is None:
        import boto3  # only the command needs a session; the function takes a client

        events = boto3.client("events", endpoint_url=args.endpoint_url)
    try:
        report = replay(
            events,
            archive_arn=outputs[OUTPUT_EVENT_ARCHIVE_ARN],
            bus_name=outputs[OUTPUT_EVENT_BUS_NAME],
            start=start,
            end=end,
            rules=args.rules,
            name=args.name,
            timeout=args.timeout,
            sleep=sleep,
        )
    except ReplayRefused as refused:
        print(f"replay: {refused}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
