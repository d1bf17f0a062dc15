"""API Gateway REST (Lambda proxy integration), locally.

Routes come from the template's AWS::ApiGateway::Resource / Method resources,
each in its own API (a request names the API by id or name, as a URL names its
host on AWS); a request becomes the proxy event API Gateway would send, the
integration's function runs in its sandbox, and its proxy response comes back.
Methods that require AWS_IAM are treated as signed by a local caller, whose
identity is in `requestContext.identity` as API Gateway would put it (nothing is
signed locally: the caller's ARN is given with the request). A method with a
user pool authorizer (COGNITO_USER_POOLS) runs only for a valid token, checked as
API Gateway checks it (`user_pool_authorizer`), and sees its claims in
`requestContext.authorizer.claims`. A method with authorization NONE sees no
identity but the source address.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from local_runtime.lambda_service import Throttled
from local_runtime.user_pool_authorizer import UserPoolAuthorizer

if TYPE_CHECKING:
    from local_runtime.lambda_service import LambdaService
    from local_runtime.resources import Provisioner

_FUNCTION_IN_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


@dataclass(frozen=True)
class Route:
    api_id: str
    method: str
    resource_path: str
    function_arn: str
    authorization: str
    authorizer_id: str | None = None
    scopes: tuple[str, ...] = ()

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in (method, "ANY"):
            return None
        pattern_parts = [p for p in self.resource_path.split("/") if p]
        path_parts = [p for p in path.split("?", maxsplit=1)[0].split("/") if p]
        params: dict[str, str] = {}
        for index, part in enumerate(pattern_parts):
            if part.startswith("{") and part.endswith("+}"):
                params[part[1:-2]] = "/".join(path_parts[index:])
                return params
            if index >= len(path_parts):
                return None
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = path_parts[index]
            elif part != path_parts[index]:
                return None
        return params if len(path_parts) == len(pattern_parts) else None


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class RestApi:
    """Every REST API route of the stack, served by the functions of the template."""

    lambdas: LambdaService
    account: str
    routes: list[Route] = field(default_factory=list)
    apis: dict[str, str] = field(default_factory=dict)
    """Each API's id by its name."""
    _paths: dict[str, str] = field(default_factory=dict)
    authorizers: dict[str, UserPoolAuthorizer] = field(default_factory=dict)
    """Each user pool authorizer by its id."""
    stage: str = "local"

    # -- provisioning (claimed resource types) ----------------------------------------------
    def provision_api(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        api_id = f"{logical_id[:6].lower()}{uuid.uuid5(uuid.NAMESPACE_OID, logical_id).hex[:4]}"
        root = f"{api_id}-root"
        self._paths[root] = ""
        self.apis[str(props.get("Name", logical_id))] = api_id
        return api_id, {"RootResourceId": root}

    def provision_resource(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        resource_id = f"res-{logical_id}"
        self._paths[resource_id] = f"{self._paths[props['ParentId']]}/{props['PathPart']}"
        return resource_id, {"ResourceId": resource_id}

    def provision_authorizer(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        authorizer_id = f"auth-{uuid.uuid5(uuid.NAMESPACE_OID, logical_id).hex[:6]}"
        if props.get("Type") == "COGNITO_USER_POOLS":
            self.authorizers[authorizer_id] = UserPoolAuthorizer.from_properties(props)
        return authorizer_id, {"AuthorizerId": authorizer_id}

    def provision_method(
        self, p: Provisioner, logical_id: str, props: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        integration = props.get("Integration", {})
        found = _FUNCTION_IN_URI.search(str(integration.get("Uri", "")))
        if integration.get("Type") == "AWS_PROXY" and found:
            self.routes.append(
                Route(
                    api_id=str(props["RestApiId"]),
                    method=props["HttpMethod"],
                    resource_path=self._paths[props["ResourceId"]] or "/",
                    function_arn=found.group(1),
                    authorization=props.get("AuthorizationType", "NONE"),
                    authorizer_id=props.get("AuthorizerId"),
                    scopes=tuple(props.get("AuthorizationScopes", ())),
                )
            )
        return f"method-{logical_id}", {}

    # -- requests ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        body: str | bytes | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        caller: str | None = None,
        api: str | None = None,
    ) -> ApiResponse:
        """Call a route as API Gateway would. ``caller`` is the signing principal's ARN (an
        AWS_IAM route sees it as ``requestContext.identity.userArn``); by default a local IAM
        user, ``local-developer``. A user pool route takes its token from ``headers``
        (``Authorization: Bearer <token>``) and ignores ``caller``. ``api`` (an id or a name) is
        the API called, as the host of its URL is on AWS: a path only another API serves is not
        found; without it, any API's."""
        method = method.upper()
        api_id = self.apis.get(api, api) if api is not None else None
        for route in self.routes:
            if api_id is not None and route.api_id != api_id:
                continue
            params = route.match(method, path)
            if params is not None:
                return self._invoke(route, method, path, params, body, headers or {}, query, caller)
        # What API Gateway answers for a path or method the API does not have
        return ApiResponse(
            403, {"Content-Type": "application/json"}, json.dumps({"message": "Missing Authentication Token"})
        )

    def _invoke(
        self,
        route: Route,
        method: str,
        path: str,
        params: dict[str, str],
        body: str | bytes | dict[str, Any] | None,
        headers: dict[str, str],
        query: dict[str, str] | None,
        caller: str | None = None,
    ) -> ApiResponse:
        if isinstance(body, dict):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **headers}
        text = body.decode() if isinstance(body, bytes) else body
        authorizer: dict[str, Any] | None = None
        if route.authorization == "COGNITO_USER_POOLS":
            pool = self.authorizers.get(route.authorizer_id or "")
            claims = pool.claims(headers, route.scopes) if pool else None
            if claims is None:
                return ApiResponse(
                    401, {"Content-Type": "application/json"}, json.dumps({"message": "Unauthorized"})
                )
            authorizer = {"claims": claims}
        request_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        event = {
            "resource": route.resource_path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {key: [value] for key, value in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": text,
            "isBase64Encoded": False,
            "requestContext": {
                "resourcePath": route.resource_path,
                "httpMethod": method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "protocol": "HTTP/1.1",
                "accountId": self.account,
                "apiId": route.api_id,
                **({"authorizer": authorizer} if authorizer else {}),
                "identity": {
                    "sourceIp": "127.0.0.1",
                    "userAgent": headers.get("User-Agent", "local-runtime"),
                    "caller": "AIDALOCALDEVELOPER" if route.authorization == "AWS_IAM" else None,
                    "user": "AIDALOCALDEVELOPER" if route.authorization == "AWS_IAM" else None,
                    "userArn": (caller or f"arn:aws:iam::{self.account}:user/local-developer")
                    if route.authorization == "AWS_IAM"
                    else None,
                    "accountId": self.account if route.authorization == "AWS_IAM" else None,
                },
            },
        }
        try:
            result = self.lambdas.invoke(route.function_arn, json.dumps(event).encode())
        except Throttled:
            # A proxy integration cannot forward Lambda's 429: API Gateway answers 500 itself.
            return ApiResponse(
                500, {"Content-Type": "application/json"}, json.dumps({"message": "Internal server error"})
            )
        if result.function_error:
            return ApiResponse(
                502, {"Content-Type": "application/json"}, json.dumps({"message": "Internal server error"})
            )
        proxy = json.loads(result.payload)
        return ApiResponse(
            status=int(proxy.get("statusCode", 200)),
            headers={
                **proxy.get("headers", {}),
                **{k: v[-1] for k, v in (proxy.get("multiValueHeaders") or {}).items()},
            },
            body=proxy.get("body") or "",
        )
