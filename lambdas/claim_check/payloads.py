"""The payload bucket (S3): streamed reads of one object version, writes, and release.

Every read names the version the claim recorded, so a later upload under the same key can
never be taken for the claimed payload. Failures are named: a missing key or version is
ClaimNotFound; bytes failing S3's own checksum are ClaimIntegrityError; throttling, 5xx and
a connection lost mid-stream are PayloadStoreUnavailable
(the task is retried and reads again from the start).
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    FlexibleChecksumError,
    IncompleteReadError,
    ResponseStreamingError,
)

import aws_clients
from claim_check.errors import (
    ClaimIntegrityError,
    ClaimNotFound,
    InvalidIntakeMessage,
    PayloadStoreUnavailable,
)
from claim_check.models import ByteRange, PayloadLocation

CHUNK_BYTES = 1024 * 1024
"""What one read of a stream returns: memory per streamed pass is about this much."""
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
REFUSED_CODES = frozenset({"AccessDenied", "403", "InvalidArgument", "InvalidBucketName", "NoSuchBucket"})
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "503",
        "500",
        "RequestTimeout",
        "RequestTimeTooSkewed",
    }
)
_STREAM_ERRORS = (IncompleteReadError, ResponseStreamingError, *aws_clients.NETWORK_ERRORS)


@dataclass(frozen=True)
class StoredObject:
    """An object version's metadata (HeadObject)."""

    version_id: str
    size: int
    content_type: str


def s3_client() -> Any:
    """One S3 client per process, created at first use."""
    return aws_clients.client("s3")


class PayloadBucket:
    """Streamed access to the payload bucket."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client if client is not None else s3_client()

    def head(self, location: PayloadLocation) -> StoredObject:
        """The current (or named) version's id, size and content type."""
        request = self._request(location)
        answer = self._call("HeadObject", lambda: self._client.head_object(**request), location)
        version = answer.get("VersionId")
        if not version or version == "null":
            raise InvalidIntakeMessage(f"s3://{location.bucket}/{location.key} is not versioned")
        return StoredObject(
            version_id=str(version),
            size=int(answer["ContentLength"]),
            content_type=str(answer.get("ContentType") or ""),
        )

    def chunks(self, location: PayloadLocation, byte_range: ByteRange | None = None) -> Iterator[bytes]:
        """The object version's bytes (or one range of them), CHUNK_BYTES at a time."""
        request = self._request(location)
        if byte_range is not None:
            request["Range"] = f"bytes={byte_range.start}-{byte_range.end}"
        answer = self._call("GetObject", lambda: self._client.get_object(**request), location)
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK_BYTES)
        except FlexibleChecksumError as error:
            # the bytes read are not the ones S3 stored a checksum of: never use them
            raise ClaimIntegrityError(f"{_where(location)} failed its checksum: {error}") from error
        except _STREAM_ERRORS as error:
            raise PayloadStoreUnavailable(f"reading {_where(location)} broke off: {error}") from error
        finally:
            body.close()

    def put(self, bucket: str, key: str, body: bytes, content_type: str, metadata: Mapping[str, str]) -> str:
        """Store a new object; its version id."""
        location = PayloadLocation(bucket=bucket, key=key)
        answer = self._call(
            "PutObject",
            lambda: self._client.put_object(
                Bucket=bucket, Key=key, Body=body, ContentType=content_type, Metadata=dict(metadata)
            ),
            location,
        )
        return str(answer.get("VersionId") or "")

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        """Store a small JSON document (a manifest, a report summary)."""
        body = json.dumps(document, separators=(",", ":")).encode()
        self.put(bucket, key, body, "application/json", {})

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted."""
        location = PayloadLocation(bucket=bucket, key=prefix or "/")
        paginator = self._client.get_paginator("list_objects_v2")
        found: list[str] = []
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found.extend(str(item["Key"]) for item in page.get("Contents", []))
        except (ClientError, *aws_clients.NETWORK_ERRORS) as error:
            self._raise(error, "ListObjectsV2", location)
        return sorted(found)

    def delete(self, location: PayloadLocation) -> None:
        """Delete the object version (or, without a version, add a delete marker)."""
        request = self._request(location)
        self._call("DeleteObject", lambda: self._client.delete_object(**request), location)

    def tag(self, location: PayloadLocation, tags: Mapping[str, str]) -> None:
        """Tag the object version (the lifecycle rule expires tagged payloads)."""
        request = self._request(location)
        tag_set = [{"Key": key, "Value": value} for key, value in tags.items()]
        self._call(
            "PutObjectTagging",
            lambda: self._client.put_object_tagging(**request, Tagging={"TagSet": tag_set}),
            location,
        )

    @staticmethod
    def _request(location: PayloadLocation) -> dict[str, Any]:
        request: dict[str, Any] = {"Bucket": location.bucket, "Key": location.key}
        if location.version_id:
            request["VersionId"] = location.version_id
        return request

    def _call(self, operation: str, call: Any, location: PayloadLocation) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = call()
        except (ClientError, *aws_clients.NETWORK_ERRORS) as error:
            self._raise(error, operation, location)
        return answer

    @staticmethod
    def _raise(error: Exception, operation: str, location: PayloadLocation) -> Any:
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in MISSING_CODES or status == 404:
                raise ClaimNotFound(f"{_where(location)} does not exist ({code})") from error
            if code in REFUSED_CODES or status == 403:
                raise InvalidIntakeMessage(
                    f"{operation} on {_where(location)} was refused ({code})"
                ) from error
            if code in TRANSIENT_CODES or (isinstance(status, int) and status >= 500):
                raise PayloadStoreUnavailable(f"{operation} on {_where(location)}: {code}") from error
            raise error
        raise PayloadStoreUnavailable(f"{operation} on {_where(location)}: {error}") from error


def _where(location: PayloadLocation) -> str:
    version = f"?versionId={location.version_id}" if location.version_id else ""
    return f"s3://{location.bucket}/{location.key}{version}"
