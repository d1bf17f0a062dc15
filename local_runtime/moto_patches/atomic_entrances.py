"""Every AWS request applies atomically: the storage lock (`local_runtime.storage`) taken at
moto's two entrances, the botocore stubber (every in-process client) and the Flask adapter of
moto's server (the AWS CLI against ``make serve``). Declared with its gap in `PATCHES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.core.utils import convert_to_flask_response

from local_runtime import storage
from local_runtime.moto_patches.declare import Applied, Gap, Patch, node

_shipped_process_request = BotocoreStubber.process_request
_shipped_flask_call = convert_to_flask_response.__call__


def _stubbed_request(self: BotocoreStubber, request: Any) -> Any:
    storage.enter()
    with storage.atomic():
        return _shipped_process_request(self, request)


def _served_request(self: convert_to_flask_response, args: Any = None, **kwargs: Any) -> Any:
    storage.enter()
    with storage.atomic():
        return _shipped_flask_call(self, args, **kwargs)


def _lock_the_entrances() -> Callable[[], None]:
    """Take the lock at moto's two entrances: the botocore stubber and the server's Flask adapter."""
    BotocoreStubber.process_request = _stubbed_request  # type: ignore[method-assign]
    convert_to_flask_response.__call__ = _served_request  # type: ignore[method-assign]
    storage.entrances_locked = True

    def undo() -> None:
        storage.entrances_locked = False
        BotocoreStubber.process_request = _shipped_process_request  # type: ignore[method-assign]
        convert_to_flask_response.__call__ = _shipped_flask_call  # type: ignore[method-assign]

    return undo


_TESTS = "tests/local_runtime/test_storage.py"
STORAGE_LOCK = Applied(
    "storage_lock",
    "all",
    _lock_the_entrances,
    (
        Gap(
            "racing conditional UpdateItems lose updates (a counter is overdrawn)",
            node(_TESTS, "test_without_the_patch_a_counter_is_overdrawn"),
        ),
        Gap(
            "racing attribute_not_exists puts give one key two owners",
            node(_TESTS, "test_without_the_patch_a_key_gets_two_owners"),
        ),
    ),
)
PATCHES: tuple[Patch, ...] = (STORAGE_LOCK,)
