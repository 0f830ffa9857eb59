"""cdk-nag's AwsSolutions checks: what the stack deliberately does differently, each with
its reason. The app runs the checks at every synth; tests/infra asserts none is left."""

from __future__ import annotations

from aws_cdk import Stack
from cdk_nag import NagPackSuppression, NagSuppressions

from handler.lambda_env import INPUT_PREFIX, JOBS, OUTPUT_PREFIX, PARTS_PREFIX

BASIC_EXECUTION_ROLE = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def suppress(stack: Stack, *, bucket_arn_token: str) -> None:
    """`bucket_arn_token`: the bucket's logical id as cdk-nag writes it in IAM5 findings."""
    NagSuppressions.add_stack_suppressions(stack, [
        NagPackSuppression(
            id="AwsSolutions-IAM4", applies_to=[BASIC_EXECUTION_ROLE],
            reason="AWSLambdaBasicExecutionRole only lets a function write its own logs; "
                   "CDK's default for every Lambda role"),
        NagPackSuppression(
            id="AwsSolutions-L1",
            reason="python3.13 on purpose: the dependencies layer is built from cp313 wheels (layers/build.py); "
                   "the runtime and the layer change together"),
        NagPackSuppression(
            id="AwsSolutions-S1",
            reason="server access logs would need a second bucket; the drop folder is private, TLS-only, and "
                   "every read is by the stack's own functions (CloudTrail data events can be enabled per account)"),
        NagPackSuppression(
            id="AwsSolutions-APIG1",
            reason="API Gateway access logs need the account-wide CloudWatch role, which this stack does not create "
                   "behind the user's back (cloud_watch_role=False); the function logs every request with its id"),
        NagPackSuppression(
            id="AwsSolutions-APIG6",
            reason="execution logs need the account-wide CloudWatch role (see APIG1); the function logs every request"),
        NagPackSuppression(
            id="AwsSolutions-APIG2",
            reason="the bodies are images, PDFs and multipart forms: the function validates them (typed 4xx errors)"),
        NagPackSuppression(
            id="AwsSolutions-APIG3",
            reason="no WAF by default (it costs per month and per request); the usage plan throttles each key and the "
                   "stage throttles everything else"),
        NagPackSuppression(
            id="AwsSolutions-APIG4",
            reason="API keys with a usage plan by design (SPEC): /api/ requires the key; the web page, its static "
                   "files, /healthz, /docs and /openapi.json are public and read nothing private"),
        NagPackSuppression(
            id="AwsSolutions-COG4",
            reason="no Cognito: API keys with a usage plan by design (see APIG4)"),
        NagPackSuppression(
            id="AwsSolutions-IAM5",
            applies_to=[f"Resource::<{bucket_arn_token}.Arn>/{prefix}*"
                        for prefix in (INPUT_PREFIX, OUTPUT_PREFIX, INPUT_PREFIX + JOBS, OUTPUT_PREFIX + JOBS,
                                       PARTS_PREFIX + JOBS)],
            reason=f"object keys under one prefix: the worker reads {INPUT_PREFIX} and writes {OUTPUT_PREFIX}; the API "
                   f"presigns uploads to {INPUT_PREFIX}{JOBS} and reads {OUTPUT_PREFIX}{JOBS} and the progress of long "
                   f"documents in {PARTS_PREFIX}{JOBS}"),
    ])
