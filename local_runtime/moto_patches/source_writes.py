"""Who hears that a queue or a table's stream received a record (moto tells no one).

The pipes poll their sources on the virtual clock; without this they could only find out by
polling in real time. The SQS and DynamoDB patches report every write here.
"""

from __future__ import annotations

from collections.abc import Callable

SourceListener = Callable[[str], None]
_listeners: list[SourceListener] = []


def on_source_write(listener: SourceListener) -> Callable[[], None]:
    """Call `listener(source)` whenever a queue (its name) or a table's stream (the table's name)
    receives a record; returns a function that unregisters it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def report_write(source: str) -> None:
    for listener in list(_listeners):
        listener(source)
