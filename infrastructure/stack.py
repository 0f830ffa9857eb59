"""The OCR service in one stack: the API function behind a REST API with keys, the worker
behind the drop folder (bucket -> SQS -> Lambda, with a dead-letter queue), both with the
dependencies and model layers; least-privilege IAM, completion events on an EventBridge
bus, alarms, a dashboard and outputs.

Env-agnostic (no account, no region, no lookups), so `cdk synth` works offline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from aws_cdk import CfnElement, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from handler.lambda_env import (
    API,
    INPUT_PREFIX,
    JOBS,
    LAMBDA_MAX_TIMEOUT_S,
    OUTPUT_PREFIX,
    PARTS_PREFIX,
    WORKER,
    function_environment,
)
from layers.build import (
    LAMBDA_RUNTIME_PYTHON,
    Target,
    dependencies_layer_dir,
    model_layer_dir,
    stage_function_code,
    tracing_layer_dir,
)

from .api import ApiLimits, OcrApi
from .drop_folder import DropFolder
from .layers import DependenciesLayer, ModelLayer, TracingLayer, check_unzipped_size, require_folder
from .monitoring import AlarmThresholds, add_alarms, add_dashboard
from .nag import suppress

RUNTIME = lambda_.Runtime.PYTHON_3_13  # the dependencies layer holds cp313 wheels: change both together
API_GATEWAY_TIMEOUT_S = 29


@dataclass(frozen=True)
class FunctionProps:
    memory_mb: int
    timeout_s: int
    #: None: no reserved concurrency (a new account has only 10 in all, and Lambda keeps 10 unreserved)
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class OcrServiceProps:
    api: FunctionProps = FunctionProps(API.memory_mb, API.timeout_s)
    worker: FunctionProps = FunctionProps(WORKER.memory_mb, WORKER.timeout_s)
    api_limits: ApiLimits = ApiLimits()
    stage_name: str = "prod"
    #: SQS -> worker: messages per invocation, seconds to gather them, concurrent invocations at most
    worker_batch_size: int = 4
    worker_batching_window_s: int = 5
    worker_max_concurrency: int = 10
    #: deliveries of a message before it is parked in the dead-letter queue
    max_receive_count: int = 3
    #: days before S3 deletes inputs (incoming/) and results (results/); None keeps them
    input_expiry_days: int | None = 7
    result_expiry_days: int | None = 30
    #: a fanned-out document's manifest and parts are removed once it is assembled; what a
    #: failure leaves behind goes after this many days
    parts_expiry_days: int = 3
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    tracing: bool = False  # X-Ray on both functions and the API stage, with Powertools' spans per stage
    #: an SNS topic for the alarms (None: the alarms only show in CloudWatch)
    alarm_topic_arn: str | None = None
    alarm_thresholds: AlarmThresholds = AlarmThresholds()
    #: the EventBridge bus the worker announces each finished document on (the only bus it may put to)
    event_bus_name: str = "default"
    #: the CloudWatch dashboard's name (None: the stack's name)
    dashboard_name: str | None = None
    architecture: str = "arm64"
    #: layer folders from `python -m layers.build`, and the function code (None: staged now)
    dependencies_layer: Path = field(
        default_factory=lambda: dependencies_layer_dir(Target("arm64", LAMBDA_RUNTIME_PYTHON)))
    model_layer: Path = field(default_factory=model_layer_dir)
    tracing_layer: Path = field(default_factory=lambda: tracing_layer_dir(Target("arm64", LAMBDA_RUNTIME_PYTHON)))
    function_code: Path | None = None

    def __post_init__(self) -> None:
        if self.api.timeout_s > API_GATEWAY_TIMEOUT_S:
            raise ValueError(f"the API function's timeout must be at most {API_GATEWAY_TIMEOUT_S} s (API Gateway's)")
        if not 1 <= self.worker.timeout_s <= LAMBDA_MAX_TIMEOUT_S:
            raise ValueError(f"the worker's timeout must be 1..{LAMBDA_MAX_TIMEOUT_S} s (Lambda's limit)")
        for fn in (self.api, self.worker):
            if not 128 <= fn.memory_mb <= 10_240:
                raise ValueError("memory must be 128..10240 MB (Lambda's limits)")


class OcrServiceStack(Stack):
    def __init__(self, scope: Construct, id: str, *, props: OcrServiceProps | None = None, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        props = props or OcrServiceProps()
        self.props = props
        architecture = lambda_.Architecture.ARM_64 if props.architecture == "arm64" else lambda_.Architecture.X86_64
        code_folder = require_folder(props.function_code or stage_function_code(), "handler/api.py", "function code")
        # checked before anything is staged: a layer that cannot deploy fails the synth, not the deploy
        tracing_folders = [require_folder(props.tracing_layer, "python/aws_xray_sdk", "tracing layer")
                           ] if props.tracing else []
        check_unzipped_size(code_folder,
                            require_folder(props.dependencies_layer, "python/onnxruntime", "dependencies layer"),
                            require_folder(props.model_layer, "model-pack/manifest.json", "model layer"),
                            *tracing_folders)
        dependencies = DependenciesLayer(self, "DependenciesLayer", folder=props.dependencies_layer,
                                         architecture=architecture, runtime=RUNTIME)
        model = ModelLayer(self, "ModelLayer", folder=props.model_layer, runtime=RUNTIME)
        _logical_id(dependencies.layer, "DependenciesLayer")
        _logical_id(model.layer, "ModelLayer")
        function_layers = [dependencies.layer, model.layer]
        if props.tracing:  # Powertools' Tracer needs the X-Ray SDK (handler/tracing.py)
            tracing = TracingLayer(self, "TracingLayer", folder=props.tracing_layer, architecture=architecture,
                                   runtime=RUNTIME)
            _logical_id(tracing.layer, "TracingLayer")
            function_layers.append(tracing.layer)

        self.drop_folder = DropFolder(
            self, "DropFolder",
            worker_timeout=Duration.seconds(props.worker.timeout_s),
            batching_window=Duration.seconds(props.worker_batching_window_s),
            input_expiry_days=props.input_expiry_days,
            result_expiry_days=props.result_expiry_days,
            parts_expiry_days=props.parts_expiry_days,
            max_receive_count=props.max_receive_count,
        )
        bucket = self.drop_folder.bucket

        def function(id: str, role: str, spec: FunctionProps, handler: str) -> lambda_.Function:
            log_group = logs.LogGroup(self, f"{id}Logs", retention=props.log_retention,
                                      removal_policy=RemovalPolicy.DESTROY)
            fn = lambda_.Function(
                self, id,
                runtime=RUNTIME,
                architecture=architecture,
                handler=handler,
                code=lambda_.Code.from_asset(str(code_folder)),
                layers=function_layers,
                memory_size=spec.memory_mb,
                timeout=Duration.seconds(spec.timeout_s),
                reserved_concurrent_executions=spec.reserved_concurrency,
                environment=function_environment(
                    role, bucket.bucket_name, spec.memory_mb,
                    queue_url=self.drop_folder.queue.queue_url if role == "worker" else None,
                    max_receive_count=props.max_receive_count if role == "worker" else None,
                    event_bus=props.event_bus_name if role == "worker" else None, tracing=props.tracing),
                log_group=log_group,
                tracing=lambda_.Tracing.ACTIVE if props.tracing else lambda_.Tracing.DISABLED,
                description=f"OCR service: {role} ({handler})",
            )
            _logical_id(fn, id)  # `sam local invoke ApiFunction` finds it by this name
            return fn

        self.api_function = function("ApiFunction", "api", props.api, API.handler)
        self.worker_function = function("WorkerFunction", "worker", props.worker, WORKER.handler)

        # --- IAM: each function gets exactly the object prefixes it uses -------------------
        self.worker_function.add_to_role_policy(iam.PolicyStatement(
            sid="ReadInputs", actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{INPUT_PREFIX}*")]))
        self.worker_function.add_to_role_policy(iam.PolicyStatement(
            sid="WriteResults",  # GetObject: HEAD of an output finds duplicates; DeleteObject: a stale .error.json
            actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources=[bucket.arn_for_objects(f"{OUTPUT_PREFIX}*")]))
        self.worker_function.add_to_role_policy(iam.PolicyStatement(
            sid="MissingIsNotFound",  # without it S3 answers a HEAD of a missing output with 403, not 404
            actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        self.api_function.add_to_role_policy(iam.PolicyStatement(
            sid="PresignJobUploads", actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{INPUT_PREFIX}jobs/*")]))
        self.api_function.add_to_role_policy(iam.PolicyStatement(
            sid="ReadJobResults", actions=["s3:GetObject"],  # results, and the progress of a long document's parts
            resources=[bucket.arn_for_objects(f"{OUTPUT_PREFIX}{JOBS}*"),
                       bucket.arn_for_objects(f"{PARTS_PREFIX}{JOBS}*")]))
        self.api_function.add_to_role_policy(iam.PolicyStatement(
            sid="ListJobs", actions=["s3:ListBucket"], resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{INPUT_PREFIX}{JOBS}*", f"{OUTPUT_PREFIX}{JOBS}*",
                                                     f"{PARTS_PREFIX}{JOBS}*"]}}))
        # a long document's page ranges go back to the worker's own queue (handler/fanout.py)
        self.drop_folder.queue.grant_send_messages(self.worker_function)
        # one event per finished document (handler/events.py), on that bus only
        self.event_bus = events.EventBus.from_event_bus_name(self, "EventBus", props.event_bus_name)
        self.event_bus.grant_put_events_to(self.worker_function)

        self.worker_function.add_event_source(sources.SqsEventSource(
            self.drop_folder.queue,
            batch_size=props.worker_batch_size,
            max_batching_window=Duration.seconds(props.worker_batching_window_s),
            max_concurrency=props.worker_max_concurrency,
            report_batch_item_failures=True,
        ))

        self.api = OcrApi(self, "OcrApi", function=self.api_function, limits=props.api_limits,
                          stage_name=props.stage_name, tracing=props.tracing)

        # --- alarms and the dashboard (monitoring.py) --------------------------------------
        api, queue, dead_letters = self.api.rest_api, self.drop_folder.queue, self.drop_folder.dead_letters
        alarms = add_alarms(self, thresholds=props.alarm_thresholds, api=api, api_function=self.api_function,
                            worker_function=self.worker_function, queue=queue, dead_letters=dead_letters)
        self.dashboard = add_dashboard(self, name=props.dashboard_name or self.stack_name, api=api,
                                       api_function=self.api_function, worker_function=self.worker_function,
                                       queue=queue, dead_letters=dead_letters, alarms=alarms)
        if props.alarm_topic_arn:
            topic = sns.Topic.from_topic_arn(self, "AlarmTopic", props.alarm_topic_arn)
            for alarm in alarms:
                alarm.add_alarm_action(cw_actions.SnsAction(topic))
        self.alarms = alarms

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="The web page; POST {ApiUrl}api/v1/ocr")
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard_name,
                  description="CloudWatch > Dashboards: requests, latency, pages, errors by code, queue, cold starts")
        CfnOutput(self, "BucketName", value=bucket.bucket_name, description=f"Drop files under {INPUT_PREFIX}")
        CfnOutput(self, "ApiKeyId", value=self.api.api_key.key_id,
                  description="aws apigateway get-api-key --include-value --api-key <ApiKeyId>")
        suppress(self, bucket_arn_token=self.get_logical_id(_cfn(bucket)))


def _cfn(construct: Construct) -> CfnElement:
    """The CloudFormation resource an L2 construct wraps: its default child."""
    return cast(CfnElement, construct.node.default_child)


def _logical_id(construct: Construct, logical_id: str) -> None:
    _cfn(construct).override_logical_id(logical_id)
