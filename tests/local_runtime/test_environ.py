"""An invocation's environment variables are its own, however they are read: indexing, `get`,
`in`, `os.getenv`, iteration; and what it writes never reaches another thread."""

from __future__ import annotations

import os
import threading

from local_runtime.environ import InvocationEnviron, install, uninstall


def test_a_scoped_thread_reads_and_writes_only_its_own_variables() -> None:
    process = {"SHARED": "process", "ONLY_PROCESS": "yes"}
    environ = InvocationEnviron(process)
    seen: dict[str, object] = {}

    def invocation() -> None:
        with environ.scoped({"SHARED": "function", "FUNCTION_ONLY": "1"}):
            seen["indexed"] = environ["SHARED"]
            seen["got"] = environ.get("FUNCTION_ONLY")
            seen["missing"] = environ.get("NOWHERE", "default")
            seen["inherited"] = "ONLY_PROCESS" in environ
            environ["WRITTEN"] = "by the function"
            seen["written"] = "WRITTEN" in environ
            seen["keys"] = sorted(environ)

    thread = threading.Thread(target=invocation)
    thread.start()
    thread.join()
    assert seen == {
        "indexed": "function",
        "got": "1",
        "missing": "default",
        "inherited": True,
        "written": True,
        "keys": ["FUNCTION_ONLY", "ONLY_PROCESS", "SHARED", "WRITTEN"],
    }
    # every other thread still sees the process's environment, untouched
    assert environ["SHARED"] == "process"
    assert environ.get("FUNCTION_ONLY") is None and "WRITTEN" not in environ
    assert process == {"SHARED": "process", "ONLY_PROCESS": "yes"}


def test_os_getenv_reads_the_invocation_s_variables_once_installed() -> None:
    was_installed = isinstance(os.environ, InvocationEnviron)
    environ = install()
    try:
        with environ.scoped({"LOCAL_RUNTIME_PROBE": "scoped"}):
            assert os.getenv("LOCAL_RUNTIME_PROBE") == "scoped"
        assert os.getenv("LOCAL_RUNTIME_PROBE") is None
    finally:
        if not was_installed:
            uninstall()
