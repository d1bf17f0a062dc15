"""The port through which the webhook answers a waiting workflow task."""

from collections.abc import Mapping
from typing import Any, Protocol


class TaskCallbacks(Protocol):
    """Answers to a ``waitForTaskToken`` task.

    Every method raises TaskNoLongerOpen when Step Functions no longer waits on the token, and
    CallbackUnavailable when the call may succeed if repeated later.
    """

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> None:
        """SendTaskSuccess: the task's result is ``output``."""
        ...

    def fail(self, task_token: str, error: str, cause: str) -> None:
        """SendTaskFailure: the task fails with ``error`` (caught by the state's Catch)."""
        ...

    def heartbeat(self, task_token: str) -> None:
        """SendTaskHeartbeat: still working, restart the state's heartbeat timer."""
        ...
