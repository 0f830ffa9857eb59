"""moto in server mode on a free loopback port, with a real S3 -> SQS notification
(fixtures that tests/conftest.py imports for every test)."""

import dataclasses
import json
import os

import boto3
import pytest

from testkit.net import free_port

BUCKET = "ocr-drop-test"
REGION = "eu-west-1"  # moto needs one; the code under test reads it from the environment


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION", "OCR_BUCKET")}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION=REGION, OCR_BUCKET=BUCKET)
    yield endpoint
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def drop_folder(moto_endpoint):
    """The bucket, its queue, and the notification for `incoming/` that links them."""
    return DropFolderHarness.create(moto_endpoint, BUCKET, "ocr-drop-test")


class DropFolderHarness:
    def __init__(self, s3, sqs, queue_url, queue_arn, bucket: str = BUCKET, dead_letter_url: str | None = None):
        self.s3, self.sqs, self.queue_url, self.queue_arn = s3, sqs, queue_url, queue_arn
        self.bucket, self.dead_letter_url = bucket, dead_letter_url

    @classmethod
    def create(cls, endpoint: str, bucket: str, queue: str,
               max_receive_count: int | None = None) -> "DropFolderHarness":
        """A bucket whose `incoming/` notifies a queue; with `max_receive_count`, the queue
        parks a message received that many times in a dead-letter queue (as the stack's does)."""
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        attributes, dead_letter_url = {}, None
        if max_receive_count is not None:
            dead_letter_url = sqs.create_queue(QueueName=f"{queue}-dead-letters")["QueueUrl"]
            dead_letter_arn = _queue_arn(sqs, dead_letter_url)
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_letter_arn,
                                                      "maxReceiveCount": max_receive_count})
        queue_url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
        queue_arn = _queue_arn(sqs, queue_url)
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={"QueueConfigurations": [{
                "QueueArn": queue_arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
            }]},
        )
        return cls(s3, sqs, queue_url, queue_arn, bucket, dead_letter_url)

    def drain(self) -> None:
        """Delete what earlier tests left in the queue (PurgeQueue is allowed once a minute)."""
        while messages := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    def receive(self, wait_s: int = 1, queue_url: str | None = None) -> list[dict]:
        """Up to 10 messages, hidden from other receivers for 10 minutes (the worker's time)."""
        return self.sqs.receive_message(QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10,
                                        WaitTimeSeconds=wait_s, VisibilityTimeout=600,
                                        AttributeNames=["All"]).get("Messages", [])

    def lambda_event(self, expected: int) -> dict:
        """The queue's messages, wrapped as Lambda's SQS event source delivers them."""
        messages = []
        for _ in range(20):
            messages += self.receive()
            if len(messages) >= expected:
                break
        return self.event_of(messages)

    def event_of(self, messages: list[dict]) -> dict:
        return {"Records": [{
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes") or {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        } for m in messages]}

    def deliver(self, worker, messages: list[dict], context=None) -> dict:
        """One invocation as Lambda's SQS event source makes it: the worker gets `messages`;
        those it did not report as failed are deleted, the failed ones become visible again
        at once (their visibility timeout, cut short). The worker's answer."""
        from handler.invoke import LambdaContext

        answer = worker.handle(self.event_of(messages), context or LambdaContext())
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                                   VisibilityTimeout=0)
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return answer

    def json(self, key: str) -> dict:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def keys(self, prefix: str = "") -> set[str]:
        return {o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])}


def _queue_arn(sqs, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture(scope="session")
def store(moto_endpoint):
    """The worker's S3 and SQS calls on moto's server, with the retries and timeouts of the
    deployed clients (handler/aws.py)."""
    from handler.aws import CLIENT_CONFIG
    from handler.drop_store import DropStore

    s3, sqs = (boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION, config=CLIENT_CONFIG)
               for service in ("s3", "sqs"))
    return DropStore(lambda: s3, lambda: sqs)


@pytest.fixture(scope="session")
def worker(drop_folder, store):
    """The worker as the Lambda builds it (handler.s3.Worker.of_process), on the store above:
    the process's engine, drop folder layout and model (handler/providers.py)."""
    from handler import providers
    from handler.reader import DropReader
    from handler.s3 import Worker

    reader = DropReader(providers.engine(), providers.folder(), store, providers.model())
    return Worker(reader, providers.settings().max_receive_count)


def with_layout(worker, **changes):
    """`worker` with its drop folder layout changed (as OCR_* settings would have started it)."""
    folder = dataclasses.replace(worker.reader.folder, **changes)
    return dataclasses.replace(worker, reader=dataclasses.replace(worker.reader, folder=folder))


@pytest.fixture
def put_keys(store):
    """The keys of the PutObject calls the worker's own client makes (botocore's event hooks)."""
    keys: list[str] = []

    def record(params, **_):
        keys.append(params["Key"])

    store.s3_client().meta.events.register("before-parameter-build.s3.PutObject", record)
    yield keys
    store.s3_client().meta.events.unregister("before-parameter-build.s3.PutObject", record)
