"""The drop folder: a bucket whose `incoming/` prefix notifies an SQS queue (with a
dead-letter queue) that feeds the worker."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from handler.lambda_env import INPUT_PREFIX, OUTPUT_PREFIX, PARTS_PREFIX


class DropFolder(Construct):
    def __init__(self, scope: Construct, id: str, *, worker_timeout: Duration, batching_window: Duration,
                 input_expiry_days: int | None, result_expiry_days: int | None, max_receive_count: int,
                 parts_expiry_days: int = 3) -> None:
        super().__init__(scope, id)
        lifecycle = [s3.LifecycleRule(id="abort-incomplete-uploads",
                                      abort_incomplete_multipart_upload_after=Duration.days(1))]
        if input_expiry_days:
            lifecycle.append(s3.LifecycleRule(id="expire-inputs", prefix=INPUT_PREFIX,
                                              expiration=Duration.days(input_expiry_days)))
        if result_expiry_days:
            lifecycle.append(s3.LifecycleRule(id="expire-results", prefix=OUTPUT_PREFIX,
                                              expiration=Duration.days(result_expiry_days)))
        lifecycle.append(s3.LifecycleRule(id="expire-parts", prefix=PARTS_PREFIX,
                                          expiration=Duration.days(parts_expiry_days)))
        self.bucket = s3.Bucket(
            self, "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=lifecycle,
            # the users' files and results outlive the stack: `cdk destroy` leaves the bucket (README)
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.dead_letters = sqs.Queue(
            self, "DeadLetterQueue",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        # AWS's advice for an SQS event source: at least 6x the function timeout (plus the batching window)
        self.queue = sqs.Queue(
            self, "Queue",
            visibility_timeout=Duration.seconds(6 * worker_timeout.to_seconds() + batching_window.to_seconds()),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=self.dead_letters),
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, s3n.SqsDestination(self.queue), s3.NotificationKeyFilter(prefix=INPUT_PREFIX),
        )
