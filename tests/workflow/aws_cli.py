"""The AWS CLI against a served endpoint, run by the CLI's own driver in the test's process.

The ``aws`` command is this driver behind a two-line script; a subprocess per command would pay
its interpreter's start and the CLI's import, ~0.8 s each. The README's session (a bash script of
real ``aws`` commands, `test_local_endpoint`) keeps the subprocess path covered.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
from collections.abc import Iterator
from typing import Any

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
    "AWS_PAGER": "",
}


@functools.cache
def _driver() -> Any:
    from awscli.clidriver import create_clidriver

    return create_clidriver()


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def aws(url: str, *args: str) -> Any:
    """``aws --endpoint-url URL --output json ARGS...``: its JSON output (None when it prints
    nothing); a non-zero exit fails the test with what the CLI printed."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = _driver().main(["--endpoint-url", url, "--output", "json", *args])
    assert status == 0, f"aws {' '.join(args)} exited {status}: {err.getvalue()}{out.getvalue()}"
    return json.loads(out.getvalue()) if out.getvalue().strip() else None
