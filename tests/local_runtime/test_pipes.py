"""The pipe runner keeps the Pipes semantics the workflows are built on."""

from __future__ import annotations

import json

from local_runtime import LocalApp


def _put(app: LocalApp, pk: str, **attributes: str) -> None:
    item = {"pk": {"S": pk}, **{k: {"S": v} for k, v in attributes.items()}}
    app.client("dynamodb").put_item(TableName=app.table_name("Tiny/Table/"), Item=item)


def test_stream_records_reach_the_target_as_a_json_array_and_the_filter_drops_the_rest(
    tiny_app: LocalApp,
) -> None:
    # Given a pipe filtered on INSERT
    # When an item is inserted and then modified
    _put(tiny_app, "order-1", note="first")
    _put(tiny_app, "order-1", note="second")
    tiny_app.drain()
    # Then one execution ran, its input an array holding the INSERT record as Pipes shapes it
    executions = tiny_app.executions("Tiny/BatchMachine/")
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    batch = json.loads(executions[0]["input"])
    assert isinstance(batch, list)
    assert [r["eventName"] for r in batch] == ["INSERT"]
    assert (
        batch[0]["eventSourceARN"]
        == tiny_app.resource("AWS::DynamoDB::Table", "Tiny/Table/").attributes["StreamArn"]
    )
    assert batch[0]["dynamodb"]["NewImage"]["note"] == {"S": "first"}
    assert (
        tiny_app.pipes.stats[tiny_app.resource("AWS::Pipes::Pipe", "Tiny/StreamPipe").ref].filtered_out == 1
    )


def test_executions_are_named_after_the_pipe_and_never_collide(tiny_app: LocalApp) -> None:
    for n in range(5):
        _put(tiny_app, f"order-{n}")
        tiny_app.drain()
    names = [e["name"] for e in tiny_app.executions("Tiny/BatchMachine/")]
    pipe = tiny_app.resource("AWS::Pipes::Pipe", "Tiny/StreamPipe").ref
    assert len(set(names)) == 5
    assert all(name.startswith(pipe[:40]) for name in names)


def test_a_failing_stream_batch_is_bisected_retried_then_its_metadata_dead_lettered(
    tiny_app: LocalApp,
) -> None:
    # Given a REQUEST_RESPONSE pipe (MaximumRetryAttempts 2, AUTOMATIC_BISECT, DLQ)
    # When one batch holds a good record and one the target keeps rejecting
    _put(tiny_app, "good")
    _put(tiny_app, "reject-me")
    tiny_app.drain()
    # Then the good half went through, the bad record was retried and finally dead-lettered
    executions = tiny_app.executions("Tiny/BatchMachine/")
    statuses = [e["status"] for e in executions]
    assert statuses.count("SUCCEEDED") == 1
    assert statuses.count("FAILED") == 3  # the whole batch, then the bad half twice more
    dead = tiny_app.receive_all(tiny_app.queue_url("Tiny/Dlq/"))
    assert len(dead) == 1
    info = dead[0]["dynamoDbStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert dead[0]["context"]["retryAttempts"] == 2
    # and the DLQ holds metadata that points at the stream, never the records themselves
    assert "reject-me" not in json.dumps(dead[0])
    assert info["streamArn"].endswith(
        tiny_app.resource("AWS::DynamoDB::Table", "Tiny/Table/").attributes["StreamArn"][-20:]
    )


def test_sqs_messages_are_deleted_once_the_target_accepted_them(tiny_app: LocalApp) -> None:
    # Given a FIRE_AND_FORGET pipe from a queue, filtered on body.kind = order
    sqs = tiny_app.client("sqs")
    inbox = tiny_app.queue_url("Tiny/Inbox/")
    # When an order and something else arrive
    sqs.send_message(QueueUrl=inbox, MessageBody=json.dumps({"kind": "order", "id": "o-1", "lines": [1, 2]}))
    sqs.send_message(QueueUrl=inbox, MessageBody=json.dumps({"kind": "noise"}))
    tiny_app.drain()
    # Then one execution started, its input the pipe's input template filled from the order's record
    executions = tiny_app.executions("Tiny/Machine/")
    assert len(executions) == 1
    assert json.loads(executions[0]["input"]) == [{"orderId": "o-1", "lines": [1, 2], "from": "aws:sqs"}]
    # and the queue is empty: the accepted message and the filtered one were both deleted
    attributes = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_the_filter_runs_before_batching(tiny_app: LocalApp) -> None:
    # Given a pipe with batch size 4 filtered on INSERT, and a stream where updates sit between inserts
    _put(tiny_app, "a")
    _put(tiny_app, "b")
    _put(tiny_app, "a", note="update")
    _put(tiny_app, "b", note="update")
    _put(tiny_app, "c")
    _put(tiny_app, "d")
    tiny_app.drain()
    # Then the four inserts travel in one full batch: dropped records take no place in it
    (execution,) = tiny_app.executions("Tiny/BatchMachine/")
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in json.loads(execution["input"])] == ["a", "b", "c", "d"]


def test_a_paused_pipe_leaves_its_source_alone_until_resumed(tiny_app: LocalApp) -> None:
    tiny_app.pause_pipe("Tiny/StreamPipe")
    _put(tiny_app, "held")
    tiny_app.drain()
    assert tiny_app.executions("Tiny/BatchMachine/") == []
    tiny_app.resume_pipe("Tiny/StreamPipe")
    tiny_app.drain()
    assert len(tiny_app.executions("Tiny/BatchMachine/")) == 1


def test_a_throttled_target_is_retried_without_counting_a_receive_and_nothing_is_dead_lettered(
    tiny_app: LocalApp,
) -> None:
    # Given a queue (maxReceiveCount 3) whose pipe starts an execution per message, and an
    # account that allows one StartExecution a second
    quota = tiny_app.quotas.limit("stepfunctions", "StartExecution", per_second=1, burst=1)
    sqs = tiny_app.client("sqs")
    inbox = tiny_app.queue_url("Tiny/Inbox/")
    started_at = tiny_app.now()
    # When twelve orders arrive at once
    for n in range(12):
        sqs.send_message(
            QueueUrl=inbox, MessageBody=json.dumps({"kind": "order", "id": f"o-{n}", "lines": [n]})
        )
    tiny_app.drain()
    # Then the starts were throttled and retried by the pipe (Pipes retries a throttled target
    # without counting it against the queue's maxReceiveCount): every order started once, at
    # the quota's pace, and none was dead-lettered
    executions = tiny_app.executions("Tiny/Machine/")
    ids = sorted(json.loads(e["input"])[0]["orderId"] for e in executions)
    assert ids == sorted(f"o-{n}" for n in range(12))
    assert quota.throttled > 0
    assert (tiny_app.now() - started_at).total_seconds() >= 11
    assert tiny_app.receive_all(tiny_app.queue_url("Tiny/Dlq/")) == []
    pipe = tiny_app.resource("AWS::Pipes::Pipe", "Tiny/QueuePipe").ref
    assert tiny_app.pipes.stats[pipe].throttled_attempts > 0


def test_a_throttled_stream_batch_is_retried_beyond_its_maximum_retry_attempts(tiny_app: LocalApp) -> None:
    # Given the stream pipe (MaximumRetryAttempts 2, DLQ) and one StartExecution a second
    tiny_app.quotas.limit("stepfunctions", "StartExecution", per_second=1, burst=1)
    # When records arrive faster than executions may start
    for n in range(6):
        _put(tiny_app, f"order-{n}")
        tiny_app.drain()  # one batch per record
    # Then every batch started in the end: throttles are not the target's failures
    executions = tiny_app.executions("Tiny/BatchMachine/")
    assert len(executions) == 6
    assert all(e["status"] == "SUCCEEDED" for e in executions)
    assert tiny_app.receive_all(tiny_app.queue_url("Tiny/Dlq/")) == []
    pipe = tiny_app.resource("AWS::Pipes::Pipe", "Tiny/StreamPipe").ref
    assert tiny_app.pipes.stats[pipe].throttled_attempts > 0
