"""The REST API (API Gateway v1: API keys, usage plans and binary media types, which HTTP
APIs lack) in front of the API function. `/api/...` needs an API key; the web page, its
static files, `/healthz`, `/docs` and `/openapi.json` are open (the page asks for the key)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

# API Gateway base64-encodes these request bodies for the proxy integration (Mangum decodes them)
BINARY_MEDIA_TYPES = ["multipart/form-data", "image/*", "application/pdf", "application/octet-stream"]
OPEN_PATHS = ("healthz", "docs", "openapi.json")


@dataclass(frozen=True)
class ApiLimits:
    """Throttling per API key (usage plan) and for the whole stage (also the open paths)."""

    key_rate_per_s: float = 10
    key_burst: int = 20
    key_quota_per_day: int = 10_000
    stage_rate_per_s: float = 50
    stage_burst: int = 100


class OcrApi(Construct):
    def __init__(self, scope: Construct, id: str, *, function: lambda_.IFunction, limits: ApiLimits,
                 stage_name: str, tracing: bool, metrics: bool = True) -> None:
        super().__init__(scope, id)
        self.rest_api = apigw.RestApi(
            self, "RestApi",
            description="OCR service (Chinese + English)",
            binary_media_types=BINARY_MEDIA_TYPES,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # no account-wide CloudWatch role behind the user's back (so no execution or access logs)
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                throttling_rate_limit=limits.stage_rate_per_s,
                throttling_burst_limit=limits.stage_burst,
                tracing_enabled=tracing,
                metrics_enabled=metrics,
            ),
        )
        integration = apigw.LambdaIntegration(function, proxy=True)
        root = self.rest_api.root
        root.add_method("GET", integration)  # the web page
        for path in OPEN_PATHS:
            root.add_resource(path).add_method("GET", integration)
        static = root.add_resource("static").add_proxy(default_integration=integration, any_method=False)
        static.add_method("GET", integration)
        keyed = apigw.MethodOptions(api_key_required=True)
        api = root.add_resource("api")
        api.add_method("ANY", integration, api_key_required=True)
        api.add_proxy(default_integration=integration, any_method=True, default_method_options=keyed)

        self.api_key = self.rest_api.add_api_key("ApiKey", description="OCR service: the key for /api/")
        self.usage_plan = self.rest_api.add_usage_plan(
            "UsagePlan",
            description="OCR service: throttling and daily quota per API key",
            throttle=apigw.ThrottleSettings(rate_limit=limits.key_rate_per_s, burst_limit=limits.key_burst),
            quota=apigw.QuotaSettings(limit=limits.key_quota_per_day, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )
        self.usage_plan.add_api_key(self.api_key)
