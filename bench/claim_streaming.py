"""Claim-check streaming: peak RSS growth and throughput of the split's measuring pass (size,
SHA-256, line-aligned ranges) and the resolve's verification pass, beside a raw streamed
download of the same object from the same store.

The store is moto in server mode, in its own process, so the measured process holds only what
the code under test holds. Each pass runs in a fresh interpreter: its peak RSS (``VmHWM``)
minus its RSS before the pass is the memory the pass needed. (Not ``ru_maxrss``: Linux carries
it over from the forked parent through exec, so after the other benchmarks have grown
`make bench` to hundreds of MiB, every child would seem to start there.) Objects are uploaded in 8 MiB
multipart parts generated on the fly (JSON Lines of about 200 bytes a line).

Targets (issue 11): RSS growth at most 64 MiB whatever the size; throughput at least half the
raw download's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

REPO_ROOT = Path(__file__).resolve().parent.parent
BUCKET = "claim-bench"
MIB = 1024 * 1024
PART_BYTES = 8 * MIB
RSS_TARGET_MIB = 64
THROUGHPUT_TARGET = 0.5

_PASS = r"""
import json, sys, time
sys.path.insert(0, {lambdas!r})
import boto3
from claim_check.models import PayloadLocation
from claim_check.payloads import PayloadBucket, CHUNK_BYTES
from claim_check.streaming import digest_of, measure

def status_mib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
client = boto3.client("s3", endpoint_url={endpoint!r}, region_name="eu-west-1")
location = PayloadLocation(bucket={bucket!r}, key={key!r})
before = status_mib("VmRSS")
start = time.perf_counter()
if {mode!r} == "raw":
    body = client.get_object(Bucket={bucket!r}, Key={key!r})["Body"]
    size = sum(len(chunk) for chunk in body.iter_chunks(CHUNK_BYTES))
elif {mode!r} == "measure":
    size = measure(PayloadBucket(client).chunks(location), 8 * 1024 * 1024).size
else:
    size = digest_of(PayloadBucket(client).chunks(location))[0]
elapsed = time.perf_counter() - start
peak = status_mib("VmHWM")
print(json.dumps({{"size": size, "seconds": elapsed, "growth": max(0.0, peak - before)}}))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 in server mode, in its own process; yields its endpoint."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def _lines(size: int) -> Iterator[bytes]:
    """``size`` bytes of JSON Lines, PART_BYTES at a time."""
    line = (json.dumps({"customerId": "bench", "currency": "EUR", "note": "x" * 150}) + "\n").encode()
    block = line * (PART_BYTES // len(line) + 1)
    sent = 0
    while sent < size:
        part = block[: min(PART_BYTES, size - sent)]
        sent += len(part)
        yield part


def _upload(client: object, key: str, size: int) -> None:
    s3 = client
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)  # type: ignore[attr-defined]
    parts = []
    for number, body in enumerate(_lines(size), start=1):
        answer = s3.upload_part(  # type: ignore[attr-defined]
            Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=body
        )
        parts.append({"ETag": answer["ETag"], "PartNumber": number})
    s3.complete_multipart_upload(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )


def _run_pass(endpoint: str, key: str, mode: str) -> dict[str, float]:
    code = _PASS.format(
        lambdas=str(REPO_ROOT / "lambdas"), endpoint=endpoint, bucket=BUCKET, key=key, mode=mode
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def measure(sizes_mib: tuple[int, ...] = (1, 64, 512)) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    with moto_server() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="eu-west-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for size_mib in sizes_mib:
            key = f"intake/{size_mib}MiB.jsonl"
            _upload(client, key, size_mib * MIB)
            raw = _run_pass(endpoint, key, "raw")
            raw_rate = size_mib / raw["seconds"]
            for mode, label in (("measure", "split: size+SHA-256+ranges"), ("verify", "resolve: verify")):
                result = _run_pass(endpoint, key, mode)
                assert int(result["size"]) == size_mib * MIB, result
                rate = size_mib / result["seconds"]
                rows.append(
                    (
                        size_mib,
                        label,
                        round(rate, 1),
                        round(raw_rate, 1),
                        round(rate / raw_rate, 2),
                        round(result["growth"], 1),
                        round(raw["growth"], 1),
                        "yes"
                        if result["growth"] <= RSS_TARGET_MIB and rate / raw_rate >= THROUGHPUT_TARGET
                        else "NO",
                    )
                )
            client.delete_object(Bucket=BUCKET, Key=key)
    return rows


HEADERS = [
    "MiB",
    "pass",
    "MiB/s",
    "raw MiB/s",
    "x raw",
    "RSS growth MiB",
    "raw RSS growth MiB",
    "meets targets",
]
TITLE = (
    "Claim check: streamed passes over one object vs a raw streamed download of it (moto S3 server in"
    f" its own process; targets: RSS growth <= {RSS_TARGET_MIB} MiB, >= {THROUGHPUT_TARGET}x raw)"
)
