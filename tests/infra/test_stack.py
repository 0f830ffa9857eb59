"""The stack, synthesized offline against the real layers: what it deploys and how it is wired."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def template(synthesized) -> Template:
    return Template.from_stack(synthesized)


def resources(template: Template, kind: str) -> dict:
    return template.find_resources(kind)


def statements_of(template: Template, function_id: str) -> list[dict]:
    role = template.to_json()["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            return policy["Properties"]["PolicyDocument"]["Statement"]
    raise AssertionError(f"no policy for {function_id}")


def as_list(value):
    return value if isinstance(value, list) else [value]


def object_suffixes(statement: dict) -> list[str]:
    """`incoming/*` from {"Fn::Join": ["", [<bucket arn>, "/incoming/*"]]}."""
    return [r["Fn::Join"][1][1] if isinstance(r, dict) and "Fn::Join" in r else r
            for r in as_list(statement["Resource"])]


# --- functions ------------------------------------------------------------------------


@pytest.mark.parametrize("function_id, handler",
                         [("ApiFunction", "handler.api.handler"), ("WorkerFunction", "handler.s3.handler")])
def test_both_functions_run_python_3_13_on_arm64_with_both_layers(template, function_id, handler):
    fn = template.to_json()["Resources"][function_id]["Properties"]
    assert fn["Handler"] == handler
    assert fn["Runtime"] == "python3.13"
    assert fn["Architectures"] == ["arm64"]
    assert fn["Layers"] == [{"Ref": "DependenciesLayer"}, {"Ref": "ModelLayer"}]
    env = fn["Environment"]["Variables"]
    assert env["OCR_MODEL_PACK"] == "/opt/model-pack"
    assert env["POWERTOOLS_SERVICE_NAME"].startswith("ocr-service-")
    assert env["OCR_BUCKET"] == {"Ref": template.find_resources("AWS::S3::Bucket").popitem()[0]}
    assert "OCR_API_KEY" not in env  # API Gateway checks the keys
    assert fn.get("TracingConfig", {"Mode": "PassThrough"})["Mode"] == "PassThrough"  # tracing is opt-in


def test_the_api_function_answers_within_api_gateways_29_seconds_and_the_worker_has_time_for_a_document(template):
    fns = template.to_json()["Resources"]
    assert fns["ApiFunction"]["Properties"]["Timeout"] <= 29
    assert fns["WorkerFunction"]["Properties"]["Timeout"] == 900


def test_the_layers_are_the_built_folders_for_python_3_13_and_arm64(template):
    layers = resources(template, "AWS::Lambda::LayerVersion")
    assert layers["DependenciesLayer"]["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layers["DependenciesLayer"]["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert set(layers) == {"DependenciesLayer", "ModelLayer"}


def test_log_groups_keep_a_month(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    assert len(groups) == 2 and all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())


def test_sam_can_find_the_functions_code_and_layers_in_the_cloud_assembly(template):
    """`sam local invoke -t cdk.out/OcrService.template.json ApiFunction` reads aws:asset:path."""
    res = template.to_json()["Resources"]
    for logical_id in ("ApiFunction", "WorkerFunction", "DependenciesLayer", "ModelLayer"):
        assert res[logical_id]["Metadata"]["aws:asset:path"].startswith("asset."), logical_id


# --- the REST API -------------------------------------------------------------------


def test_a_rest_api_takes_images_pdfs_and_forms_as_binary(template):
    api = resources(template, "AWS::ApiGateway::RestApi").popitem()[1]["Properties"]
    assert set(api["BinaryMediaTypes"]) == {"multipart/form-data", "image/*", "application/pdf",
                                            "application/octet-stream"}


def test_no_account_wide_cloudwatch_role_is_created(template):
    template.resource_count_is("AWS::ApiGateway::Account", 0)


def method_paths(template: Template) -> dict[tuple[str, str], bool]:
    """(path, verb) -> whether it needs an API key."""
    res = template.to_json()["Resources"]

    def path_of(ref) -> str:
        if "Fn::GetAtt" in ref:  # the root resource
            return ""
        resource = res[ref["Ref"]]["Properties"]
        return path_of(resource["ParentId"]) + "/" + resource["PathPart"]

    return {(path_of(m["Properties"]["ResourceId"]) or "/", m["Properties"]["HttpMethod"]):
            m["Properties"].get("ApiKeyRequired", False)
            for m in res.values() if m["Type"] == "AWS::ApiGateway::Method"}


def test_the_api_routes_need_a_key_and_the_page_health_and_docs_do_not(template):
    assert method_paths(template) == {
        ("/api", "ANY"): True,
        ("/api/{proxy+}", "ANY"): True,
        ("/", "GET"): False,
        ("/static/{proxy+}", "GET"): False,
        ("/healthz", "GET"): False,
        ("/docs", "GET"): False,
        ("/openapi.json", "GET"): False,
    }


def test_every_method_proxies_to_the_api_function(template):
    for method in resources(template, "AWS::ApiGateway::Method").values():
        integration = method["Properties"]["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert "ApiFunction" in json.dumps(integration["Uri"])


def test_a_key_with_a_usage_plan_that_throttles_and_caps(template):
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.resource_count_is("AWS::ApiGateway::UsagePlanKey", 1)
    plan = resources(template, "AWS::ApiGateway::UsagePlan").popitem()[1]["Properties"]
    assert plan["Throttle"] == {"RateLimit": 10, "BurstLimit": 20}
    assert plan["Quota"] == {"Limit": 10000, "Period": "DAY"}
    stage = resources(template, "AWS::ApiGateway::Stage").popitem()[1]["Properties"]
    assert stage["StageName"] == "prod"
    assert stage["MethodSettings"][0]["ThrottlingRateLimit"] == 50


# --- the drop folder -----------------------------------------------------------------


def test_the_bucket_is_private_encrypted_tls_only_retained_and_expires_inputs_and_results(template):
    (bucket_id, bucket), = resources(template, "AWS::S3::Bucket").items()
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption["SSEAlgorithm"] == "AES256"
    assert bucket["DeletionPolicy"] == "Retain"
    expiry = {r.get("Prefix"): r.get("ExpirationInDays") for r in props["LifecycleConfiguration"]["Rules"]}
    assert expiry["incoming/"] == 7 and expiry["results/"] == 30 and expiry["results/.parts/"] == 3
    policy = resources(template, "AWS::S3::BucketPolicy").popitem()[1]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_files_under_incoming_notify_the_queue(template):
    (notification,) = resources(template, "Custom::S3BucketNotifications").values()
    (config,) = notification["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}}
    assert "DropFolderQueue" in json.dumps(config["QueueArn"])


def test_the_queue_outlasts_six_worker_timeouts_and_parks_poison_messages_in_a_dead_letter_queue(template):
    queues = resources(template, "AWS::SQS::Queue")
    (queue,) = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert queue["VisibilityTimeout"] >= 6 * 900
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3
    assert "DeadLetterQueue" in json.dumps(queue["RedrivePolicy"]["deadLetterTargetArn"])
    assert len(queues) == 2


def test_the_worker_takes_sqs_batches_and_reports_partial_failures(template):
    (mapping,) = resources(template, "AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": "WorkerFunction"}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 4 and props["MaximumBatchingWindowInSeconds"] == 5
    assert "DropFolderQueue" in json.dumps(props["EventSourceArn"])


# --- least privilege --------------------------------------------------------------------


def s3_grants(template: Template, function_id: str) -> dict[str, set[str]]:
    """S3 action -> object key patterns (or `bucket` for bucket-level grants)."""
    grants: dict[str, set[str]] = {}
    for statement in statements_of(template, function_id):
        for action in as_list(statement["Action"]):
            if action.startswith("s3:"):
                for resource in object_suffixes(statement):
                    grants.setdefault(action, set()).add("bucket" if isinstance(resource, dict) else resource)
    return grants


def test_the_worker_reads_incoming_and_writes_results_only(template):
    assert s3_grants(template, "WorkerFunction") == {
        "s3:GetObject": {"/incoming/*", "/results/*"},
        "s3:PutObject": {"/results/*"},
        "s3:DeleteObject": {"/results/*"},
        "s3:ListBucket": {"bucket"},  # so a HEAD of a missing output is 404, not 403
    }


def test_the_api_presigns_uploads_under_incoming_jobs_and_reads_results_jobs_only(template):
    assert s3_grants(template, "ApiFunction") == {
        "s3:PutObject": {"/incoming/jobs/*"},
        "s3:GetObject": {"/results/jobs/*", "/results/.parts/jobs/*"},
        "s3:ListBucket": {"bucket"},
    }
    (listing,) = [s for s in statements_of(template, "ApiFunction") if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["incoming/jobs/*", "results/jobs/*",
                                                                 "results/.parts/jobs/*"]}}


def test_the_worker_sends_page_ranges_to_its_own_queue_and_only_there(template):
    (worker,) = [f["Properties"] for i, f in resources(template, "AWS::Lambda::Function").items()
                 if i == "WorkerFunction"]
    queue_url = worker["Environment"]["Variables"]["OCR_QUEUE_URL"]
    assert "DropFolderQueue" in json.dumps(queue_url)
    queue = next(q["Properties"] for q in resources(template, "AWS::SQS::Queue").values()
                 if "RedrivePolicy" in q["Properties"])
    assert worker["Environment"]["Variables"]["OCR_MAX_RECEIVE_COUNT"] == str(queue["RedrivePolicy"]["maxReceiveCount"])
    sends = [s for s in statements_of(template, "WorkerFunction") if "sqs:SendMessage" in as_list(s["Action"])]
    assert len(sends) == 1 and "DropFolderQueue" in json.dumps(sends[0]["Resource"])
    assert "DeadLetter" not in json.dumps(sends[0]["Resource"])
    (api,) = [f["Properties"] for i, f in resources(template, "AWS::Lambda::Function").items() if i == "ApiFunction"]
    assert "OCR_QUEUE_URL" not in api["Environment"]["Variables"]


def test_no_statement_grants_every_action_or_every_resource(template):
    for function_id in ("ApiFunction", "WorkerFunction"):
        for statement in statements_of(template, function_id):
            assert all(not a.endswith(":*") for a in as_list(statement["Action"]))
            if any(a.startswith("s3:") for a in as_list(statement["Action"])):
                assert "*" not in as_list(statement["Resource"])


# --- alarms, outputs, checks -------------------------------------------------------------


def test_alarms_for_dead_letters_queue_age_latency_errors_and_throttles(template):
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    metrics = sorted((a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms)
    assert metrics == [("AWS/ApiGateway", "5XXError"), ("AWS/ApiGateway", "Latency")] + \
        [("AWS/Lambda", "Errors")] * 2 + [("AWS/Lambda", "Throttles")] * 2 + \
        [("AWS/SQS", "ApproximateAgeOfOldestMessage"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
         ("OcrService", "DocumentsFailed")]
    age = next(a["Properties"] for a in alarms if a["Properties"]["MetricName"] == "ApproximateAgeOfOldestMessage")
    assert age["Threshold"] == 1800 and age["Statistic"] == "Maximum"
    assert age["Dimensions"][0]["Value"] == {"Fn::GetAtt": [queue_id(template), "QueueName"]}


def queue_id(template: Template) -> str:
    """The drop folder's queue: the one with a dead-letter queue."""
    return next(k for k, q in resources(template, "AWS::SQS::Queue").items() if "RedrivePolicy" in q["Properties"])


def test_alarm_thresholds_are_stack_props(arm64_layers, tmp_path):
    from infrastructure.app import make_app
    from infrastructure.monitoring import AlarmThresholds
    from infrastructure.stack import OcrServiceProps

    props = OcrServiceProps(alarm_thresholds=AlarmThresholds(oldest_message_age_s=600, api_p95_latency_ms=5000))
    _, stack = make_app(props, outdir=str(tmp_path), nag=False)
    alarms = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    thresholds = {a["Properties"]["MetricName"]: a["Properties"]["Threshold"] for a in alarms}
    assert thresholds["ApproximateAgeOfOldestMessage"] == 600 and thresholds["Latency"] == 5000


def dashboard_body(template: Template) -> str:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    # {"Fn::Join": ["", [text, {"Ref": ...}, text, ...]]}: the text around the tokens is enough here
    return "".join(part if isinstance(part, str) else json.dumps(part) for part in body["Fn::Join"][1])


def test_a_dashboard_shows_requests_latency_pages_errors_queue_dead_letters_and_cold_starts(template):
    body = dashboard_body(template)
    titles = set(re.findall(r'"title":"([^"]+)"', body))
    assert titles >= {"API requests", "API latency (ms)", "Pages per minute", "Errors by code",
                      "Worker duration (ms)", "Drop-folder queue", "Dead letters and documents", "Cold starts"}
    for metric in ('"AWS/ApiGateway","Count"', '"AWS/ApiGateway","Latency"', '"OcrService","Pages"',
                   '"AWS/Lambda","Duration"', '"AWS/SQS","ApproximateNumberOfMessagesVisible"',
                   '"AWS/SQS","ApproximateAgeOfOldestMessage"', '"OcrService","ColdStart"'):
        assert metric in body, metric
    assert '"stat":"p95"' in body and '"stat":"p50"' in body
    assert "SEARCH('{OcrService,ErrorCode,service} MetricName=\\\"Errors\\\"'" in body


def test_the_worker_may_put_events_on_its_bus_only(template):
    statements = [s for s in statements_of(template, "WorkerFunction") if "events:PutEvents" in as_list(s["Action"])]
    (statement,) = statements
    assert as_list(statement["Action"]) == ["events:PutEvents"]
    (resource,) = as_list(statement["Resource"])
    assert resource["Fn::Join"][1][-1] == ":event-bus/default"
    assert not [s for s in statements_of(template, "ApiFunction") if "events:PutEvents" in as_list(s["Action"])]
    env = template.to_json()["Resources"]["WorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OCR_EVENT_BUS"] == "default"


def test_metrics_are_on_and_tracing_is_off_by_default(template):
    for function_id in ("ApiFunction", "WorkerFunction"):
        env = template.to_json()["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "OcrService" and env["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_tracing_turns_on_x_ray_and_the_tracer(arm64_layers, tmp_path):
    from infrastructure.app import make_app
    from infrastructure.stack import OcrServiceProps

    _, stack = make_app(OcrServiceProps(tracing=True, event_bus_name="ocr-events"), outdir=str(tmp_path), nag=False)
    resources_ = Template.from_stack(stack).to_json()["Resources"]
    for function_id in ("ApiFunction", "WorkerFunction"):
        fn = resources_[function_id]["Properties"]
        assert fn["TracingConfig"]["Mode"] == "Active"
        assert fn["Layers"] == [{"Ref": "DependenciesLayer"}, {"Ref": "ModelLayer"}, {"Ref": "TracingLayer"}]
        assert fn["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == "false"
    assert resources_["WorkerFunction"]["Properties"]["Environment"]["Variables"]["OCR_EVENT_BUS"] == "ocr-events"
    grants = [s for p in resources_.values() if p["Type"] == "AWS::IAM::Policy"
              for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "events:PutEvents"]
    assert [g["Resource"]["Fn::Join"][1][-1] for g in grants] == [":event-bus/ocr-events"]


def test_outputs_the_api_url_bucket_and_key_id(template):
    assert set(template.to_json()["Outputs"]) >= {"ApiUrl", "BucketName", "ApiKeyId", "DashboardName"}


def test_cdk_nag_aws_solutions_finds_nothing_unsuppressed(synthesized):
    annotations = Annotations.from_stack(synthesized)
    findings = annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) + \
        annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*"))
    assert [f"{f.id}: {f.entry.data}" for f in findings] == []


def test_every_suppression_gives_its_reason(synthesized):
    """Stack-wide suppressions land in the template's Metadata (cdk-nag's own format)."""
    entries = Template.from_stack(synthesized).to_json()["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert {e["id"] for e in entries} >= {"AwsSolutions-IAM5", "AwsSolutions-APIG4", "AwsSolutions-L1"}
    for entry in entries:
        assert len(entry["reason"]) >= 40, entry


# --- props ------------------------------------------------------------------------------


def test_an_api_timeout_over_api_gateways_is_refused():
    from infrastructure.stack import FunctionProps, OcrServiceProps

    with pytest.raises(ValueError, match="29"):
        OcrServiceProps(api=FunctionProps(memory_mb=2048, timeout_s=30))


def test_a_missing_layer_folder_fails_the_synth_with_what_to_run(tmp_path):
    from infrastructure.app import make_app
    from infrastructure.stack import OcrServiceProps

    with pytest.raises(SystemExit, match="python -m layers.build"):
        make_app(OcrServiceProps(dependencies_layer=tmp_path / "nowhere"), outdir=str(tmp_path / "out"))


def test_layers_over_lambdas_250_mb_fail_the_synth(tmp_path, arm64_layers):
    """A stand-in layer with a sparse 300 MB file: the check runs before anything is staged."""
    from infrastructure.app import make_app
    from infrastructure.stack import OcrServiceProps

    fat = tmp_path / "deps" / "python" / "onnxruntime"
    fat.mkdir(parents=True)
    with open(fat / "big.so", "wb") as handle:
        handle.truncate(300_000_000)
    with pytest.raises(SystemExit, match="over Lambda's"):
        make_app(OcrServiceProps(dependencies_layer=tmp_path / "deps"), outdir=str(tmp_path / "out"))


def test_cdk_synth_runs_the_app_from_cdk_json_and_honours_cdk_outdir(tmp_path, arm64_layers):
    """What the CDK CLI does: run cdk.json's `app` with CDK_OUTDIR set (offline, no account)."""
    app_command = json.loads((ROOT / "cdk.json").read_text())["app"]
    assert app_command.startswith(".venv/bin/python -m infrastructure.app")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CDK_OUTDIR=str(tmp_path), JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infrastructure.app"], cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"synth: {time.perf_counter() - started:.1f} s")
    template = json.loads((tmp_path / "OcrService.template.json").read_text())
    assert template["Resources"]["ApiFunction"]["Properties"]["Architectures"] == ["arm64"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    levels = [e["type"] for artifact in manifest["artifacts"].values()
              for entries in artifact.get("metadata", {}).values() for e in entries]
    assert "aws:cdk:error" not in levels
