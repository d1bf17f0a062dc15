"""What an HTTP Task (``arn:aws:states:::http:invoke``) sends and what it makes of the answer,
as the Step Functions developer guide describes it ("Call HTTPS APIs in Step Functions").

The request: the task's ``ApiEndpoint``, ``Method``, ``Headers``, ``QueryParameters`` and
``RequestBody``, merged with what its EventBridge connection adds (the authorization header,
the connection's header, query string and body parameters; the connection's value wins on a
clash), then ``User-Agent: Amazon|StepFunctions|HttpInvoke|<region>`` and ``Range:
bytes=0-262144``. The body is the JSON of ``RequestBody``, or its form encoding when
``Transform.RequestBodyEncoding`` is URL_ENCODED (arrays as ``ArrayFormat`` says).

What the connection adds is secret: TestState shows it only with ``revealSecrets``, so each
part of the request is kept with and without it.

The answer: ``{"Headers": {name: [values]}, "ResponseBody": JSON or text, "StatusCode",
"StatusText"}``; a status outside 2xx fails the task with ``States.Http.StatusCode.<code>``
(the answer as the cause), no answer at all with ``States.Http.Socket``.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "A-IM", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Authorization",
        "Cache-Control", "Connection", "Content-Encoding", "Content-MD5", "Date", "Expect",
        "Forwarded", "From", "Host", "HTTP2-Settings", "If-Match", "If-Modified-Since",
        "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Origin", "Pragma",
        "Proxy-Authorization", "Referer", "Server", "TE", "Trailer", "Transfer-Encoding",
        "Upgrade", "Via", "Warning",
    )
)  # fmt: skip
RESERVED_PREFIXES = ("x-forwarded-", "x-amz-", "x-amzn-")
UNREADABLE_TYPES = ("application/octet-stream", "image/", "video/", "audio/")
TIMEOUT_SECONDS = 60.0
"""An HTTP Task's call times out after 60 seconds (States.Http.Socket)."""


class HttpTaskFailed(Exception):
    """The task fails with ``error`` (an AWS error name) and ``cause``."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class Connection:
    """An EventBridge connection as the task uses it: its authorization and parameters."""

    arn: str
    state: str
    authorization_type: str
    auth_parameters: Mapping[str, Any]


@dataclass
class Exchange:
    """One call: the request (each part also as shown without the connection's secrets) and the
    answer, for TestState's TRACE inspection."""

    method: str
    url: str
    shown_url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    shown_headers: list[tuple[str, str]] = field(default_factory=list)
    """Without what the connection added: the definition's own, then User-Agent and Range."""
    body: str = ""
    shown_body: str = ""
    status: int = 0
    reason: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: str = ""

    def inspection(self, reveal_secrets: bool) -> dict[str, dict[str, str]]:
        """TestState's ``inspectionData.request`` and ``.response``."""
        protocol = urlsplit(self.url).scheme
        headers = self.headers if reveal_secrets else self.shown_headers
        request = {
            "protocol": protocol,
            "method": self.method,
            "url": self.url if reveal_secrets else self.shown_url,
            "headers": _header_list(headers),
            "body": self.body if reveal_secrets else self.shown_body,
        }
        response = {
            "protocol": protocol,
            "statusCode": str(self.status),
            "statusMessage": self.reason,
            "headers": _header_list(self.response_headers),
            "body": self.response_body,
        }
        return {"request": request, "response": response}


def _header_list(headers: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{name}: {value}" for name, value in headers) + "]"


def connection_arn(parameters: Mapping[str, Any]) -> str:
    """The ARN of the EventBridge connection the task names."""
    for holder in ("Authentication", "InvocationConfig"):
        arn = (parameters.get(holder) or {}).get("ConnectionArn")
        if arn:
            return str(arn)
    raise HttpTaskFailed(
        "States.Runtime", "an HTTP Task needs Authentication.ConnectionArn or InvocationConfig"
    )


def _pairs(parameters: Any) -> list[tuple[str, Any]]:
    """``[{"Key", "Value"}...]`` (a connection's) or an object (a task's) as pairs."""
    if isinstance(parameters, Mapping):
        return list(parameters.items())
    return [(str(item["Key"]), item.get("Value", "")) for item in parameters or []]


def _merged(
    ours: list[tuple[str, Any]], theirs: list[tuple[str, Any]], fold: bool
) -> list[tuple[str, Any, bool]]:
    """The task's pairs, then the connection's; a connection's key replaces the task's."""
    keys = {(key.lower() if fold else key) for key, _ in theirs}
    kept = [(key, value, False) for key, value in ours if (key.lower() if fold else key) not in keys]
    return kept + [(key, value, True) for key, value in theirs]


def _authorization(connection: Connection, fetch_token: Callable[[Connection], str]) -> list[tuple[str, str]]:
    parameters = connection.auth_parameters
    kind = connection.authorization_type
    if kind == "API_KEY":
        key = parameters.get("ApiKeyAuthParameters") or {}
        return [(str(key.get("ApiKeyName", "")), str(key.get("ApiKeyValue", "")))]
    if kind == "BASIC":
        basic = parameters.get("BasicAuthParameters") or {}
        pair = f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()
        return [("Authorization", "Basic " + base64.b64encode(pair).decode())]
    if kind == "OAUTH_CLIENT_CREDENTIALS":
        return [("Authorization", "Bearer " + fetch_token(connection))]
    raise HttpTaskFailed(
        "Events.ConnectionResource.InvalidConnectionState", f"unknown authorization type {kind!r}"
    )


def form_encoded(body: Mapping[str, Any], array_format: str = "INDICES") -> str:
    """``body`` as ``application/x-www-form-urlencoded`` (nested objects as ``key[sub]``)."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        elif isinstance(value, list):
            if array_format == "COMMAS":
                pairs.append((key, ",".join(_scalar(item) for item in value)))
            for index, item in enumerate(value if array_format != "COMMAS" else []):
                suffix = {"INDICES": f"[{index}]", "BRACKETS": "[]"}.get(array_format, "")
                add(f"{key}{suffix}", item)
        else:
            pairs.append((key, _scalar(value)))

    for key, value in body.items():
        add(str(key), value)
    return "&".join(f"{quote(key, safe='')}={quote(value, safe=',')}" for key, value in pairs)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _body(
    parameters: Mapping[str, Any], extra: list[tuple[str, Any]], encoding: str, array_format: str
) -> tuple[str, str]:
    """The body sent and the body shown without the connection's parameters."""
    given = parameters.get("RequestBody")
    if given is None and not extra:
        return "", ""
    if isinstance(given, str):
        if extra:
            raise HttpTaskFailed(
                "States.Runtime",
                "the RequestBody is a string and the connection adds body parameters: they cannot be merged",
            )
        return given, given

    def render(body: Mapping[str, Any]) -> str:
        if encoding == "URL_ENCODED":
            return form_encoded(body, array_format)
        return json.dumps(body, separators=(",", ":"))

    base = dict(given or {})
    return render({**base, **dict(extra)}), render(base)


def _checked_headers(headers: Any) -> list[tuple[str, Any]]:
    pairs = _pairs(headers)
    for name, _ in pairs:
        lowered = name.lower()
        if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIXES):
            raise HttpTaskFailed("States.Runtime", f"the header {name!r} cannot be set by an HTTP Task")
    return pairs


def prepare(
    parameters: Mapping[str, Any],
    connection: Connection,
    region: str,
    fetch_token: Callable[[Connection], str],
) -> Exchange:
    """The request the task sends (not yet sent)."""
    endpoint = parameters.get("ApiEndpoint")
    method = str(parameters.get("Method", "")).upper()
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
        raise HttpTaskFailed("States.Runtime", f"ApiEndpoint must be an HTTPS URL, got {endpoint!r}")
    if method not in METHODS:
        raise HttpTaskFailed("States.Runtime", f"Method must be one of {sorted(METHODS)}, got {method!r}")
    if connection.state != "AUTHORIZED":
        raise HttpTaskFailed(
            "Events.ConnectionResource.InvalidConnectionState",
            f"the connection {connection.arn} is {connection.state}",
        )
    invocation = connection.auth_parameters.get("InvocationHttpParameters") or {}
    own_headers = _checked_headers(parameters.get("Headers"))
    headers = _merged(own_headers, _pairs(invocation.get("HeaderParameters")), fold=True)
    authorization = [(name, value, True) for name, value in _authorization(connection, fetch_token)]
    fixed = [
        ("User-Agent", f"Amazon|StepFunctions|HttpInvoke|{region}", False),
        ("Range", "bytes=0-262144", False),
    ]
    own_query = _pairs(parameters.get("QueryParameters"))
    query = _merged(own_query, _pairs(invocation.get("QueryStringParameters")), fold=False)
    transform = parameters.get("Transform") or {}
    encoding = str(transform.get("RequestBodyEncoding", "NONE"))
    array_format = str((transform.get("RequestEncodingOptions") or {}).get("ArrayFormat", "INDICES"))
    body, shown_body = _body(parameters, _pairs(invocation.get("BodyParameters")), encoding, array_format)

    def url(pairs: list[tuple[str, Any, bool]]) -> str:
        encoded = urlencode([(key, _scalar(value)) for key, value, _ in pairs])
        return endpoint + (("&" if "?" in endpoint else "?") + encoded if encoded else "")

    return Exchange(
        method=method,
        url=url(query),
        shown_url=url([(key, value, False) for key, value in own_query]),
        headers=[(name, _scalar(value)) for name, value, _ in headers + authorization + fixed],
        shown_headers=[(name, _scalar(value)) for name, value in own_headers] + [(n, v) for n, v, _ in fixed],
        body=body,
        shown_body=shown_body,
    )


def send(exchange: Exchange) -> dict[str, Any]:
    """Send the request (through urllib: the running app's outside world answers it) and record
    the answer on ``exchange``; the task's result, or HttpTaskFailed."""
    headers = dict(exchange.headers)
    if exchange.body and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json; charset=UTF-8"
    request = urllib.request.Request(
        exchange.url,
        data=exchange.body.encode() if exchange.body else None,
        headers=headers,
        method=exchange.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            status, received, raw = answer.status, answer.headers, answer.read()
            reason = str(getattr(answer, "reason", None) or getattr(answer, "msg", ""))
    except urllib.error.HTTPError as error:
        status, reason, received, raw = error.code, str(error.reason), error.headers, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise HttpTaskFailed("States.Http.Socket", f"{exchange.method} {exchange.url}: {error}") from error
    exchange.status, exchange.reason = status, reason
    exchange.response_headers = [(name, value) for name, value in received.items()]
    content_type = str(received.get("Content-Type", "")).lower()
    if content_type.startswith(UNREADABLE_TYPES):
        raise HttpTaskFailed("States.Runtime", f"an HTTP Task cannot read a {content_type} response")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpTaskFailed("States.Runtime", "the response cannot be read as a string") from error
    exchange.response_body = text
    result = {
        "Headers": _grouped(exchange.response_headers),
        "ResponseBody": _body_value(text, content_type),
        "StatusCode": status,
        "StatusText": reason,
    }
    if not 200 <= status < 300:
        raise HttpTaskFailed(f"States.Http.StatusCode.{status}", json.dumps(result, separators=(",", ":")))
    return result


def _grouped(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _body_value(text: str, content_type: str) -> Any:
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def oauth_token(connection: Connection) -> str:
    """The access token of an OAUTH_CLIENT_CREDENTIALS connection, asked of its authorization
    endpoint (client id and secret as Basic credentials, ``grant_type=client_credentials`` and the
    connection's OAuth parameters), as EventBridge does before the call."""
    oauth = connection.auth_parameters.get("OAuthParameters") or {}
    client = oauth.get("ClientParameters") or {}
    extra = oauth.get("OAuthHttpParameters") or {}
    pair = f"{client.get('ClientID', '')}:{client.get('ClientSecret', '')}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    headers.update({key: _scalar(value) for key, value in _pairs(extra.get("HeaderParameters"))})
    form = {"grant_type": "client_credentials", **dict(_pairs(extra.get("BodyParameters")))}
    query = urlencode([(key, _scalar(value)) for key, value in _pairs(extra.get("QueryStringParameters"))])
    endpoint = str(oauth.get("AuthorizationEndpoint", ""))
    url = endpoint + ("?" + query if query else "")
    data = form_encoded(form).encode()
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    method = str(oauth.get("HttpMethod", "POST"))
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            token = json.loads(answer.read()).get("access_token")
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as error:
        raise HttpTaskFailed(
            "Events.ConnectionResource.InvalidConnectionState",
            f"the connection {connection.arn} could not authorize at {endpoint}: {error}",
        ) from error
    if not token:
        raise HttpTaskFailed(
            "Events.ConnectionResource.InvalidConnectionState",
            f"the authorization endpoint {endpoint} answered no access_token",
        )
    return str(token)
