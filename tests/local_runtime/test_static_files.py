"""Files served beside the AWS APIs (`--static`): what is mounted is served, nothing else is, and
every other request still reaches the APIs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from local_runtime.static_files import StaticFiles, parse_mount


def _get(app: StaticFiles, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(b"")}
    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def served(tmp_path: Path) -> StaticFiles:
    site = tmp_path / "site"
    (site / "vendor").mkdir(parents=True)
    (site / "index.html").write_text("<h1>console</h1>")
    (site / "vendor" / "lib.js").write_text("export const x = 1;")
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "b.json").write_text("{}")
    (samples / "a.json").write_text("{}")
    (samples / ".hidden").write_text("")
    (tmp_path / "secret.txt").write_text("not for you")

    def apis(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
        return [b'{"api": true}']

    return StaticFiles(
        apis,
        {
            "/console/": site,
            "/console/samples/": samples,
            "/console/outputs.json": tmp_path / "outputs.json",
        },
    )


def test_a_mounted_directory_serves_its_index_and_files(served: StaticFiles) -> None:
    status, headers, body = _get(served, "/console/")
    assert status.startswith("200") and body == b"<h1>console</h1>" and "text/html" in headers["Content-Type"]
    status, headers, body = _get(served, "/console/vendor/lib.js")
    assert status.startswith("200") and "javascript" in headers["Content-Type"]
    assert _get(served, "/console")[0].startswith("301")


def test_a_directory_without_an_index_lists_its_files(served: StaticFiles) -> None:
    status, _, body = _get(served, "/console/samples/")
    assert status.startswith("200") and json.loads(body) == ["a.json", "b.json"]


def test_a_file_mount_answers_once_the_file_exists(served: StaticFiles, tmp_path: Path) -> None:
    assert _get(served, "/console/outputs.json")[0].startswith("404")
    (tmp_path / "outputs.json").write_text('{"Stack": {}}')
    assert _get(served, "/console/outputs.json")[2] == b'{"Stack": {}}'


def test_nothing_outside_a_mount_is_served(served: StaticFiles) -> None:
    assert _get(served, "/console/../secret.txt")[0].startswith("404")
    assert _get(served, "/console/%2e%2e/secret.txt")[0].startswith("404")
    assert _get(served, "/console/missing.js")[0].startswith("404")


def test_every_other_request_reaches_the_apis(served: StaticFiles) -> None:
    assert _get(served, "/")[2] == b'{"api": true}'
    assert _get(served, "/console/", method="POST")[2] == b'{"api": true}'
    assert _get(served, "/console/", method="HEAD")[2] == b""


def test_a_mount_is_prefix_equals_path(tmp_path: Path) -> None:
    assert parse_mount(f"/x/={tmp_path}") == ("/x/", tmp_path)
    for bad in ("x/=.", "/x/", f"/x/={tmp_path}/no/such/dir/file"):
        with pytest.raises(ValueError):
            parse_mount(bad)
