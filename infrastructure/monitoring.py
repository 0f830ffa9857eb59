"""What operations look at: the alarms (thresholds are stack props) and one CloudWatch
dashboard, from AWS's own metrics (API Gateway, Lambda, SQS) and the functions' EMF metrics
(handler/metrics.py: namespace OcrService, dimension `service`; `Errors` also by
`ErrorCode`; `ColdStart` by `function_name` and `service`)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from handler.lambda_env import METRICS_NAMESPACE, SERVICE

MINUTE, FIVE_MINUTES = Duration.minutes(1), Duration.minutes(5)
GREATER = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD


@dataclass(frozen=True)
class AlarmThresholds:
    """An alarm fires when its metric is above its threshold (over 5 minutes unless said)."""

    dead_letters: int = 0  #: messages in the dead-letter queue
    function_errors: int = 0  #: Lambda errors (a crash or a timeout, not a file's typed error) per function
    throttles: int = 0  #: Lambda throttles per function
    #: seconds the oldest message has waited in the drop folder's queue (a 15-minute worker's
    #: batch, twice: files are queuing faster than the workers read them)
    oldest_message_age_s: int = 1800
    api_p95_latency_ms: int = 15_000  #: API Gateway's p95 latency (API Gateway gives up at 29 s)
    api_server_errors: int = 5  #: API Gateway 5XX answers
    failed_documents: int = 20  #: drop-folder files that ended in an .error.json (EMF DocumentsFailed)


def emf(name: str, role: str, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
        labelled: bool = True) -> cloudwatch.Metric:
    """One of handler/metrics.py's metrics of the `api` or `worker` function (an alarm's has
    no label: CloudFormation would get it as a metric-math query)."""
    return cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name=name, statistic=statistic, period=period,
                             dimensions_map={"service": f"{SERVICE}-{role}"},
                             label=f"{name} ({role})" if labelled else None)


def add_alarms(scope: Construct, *, thresholds: AlarmThresholds, api: apigw.RestApi, api_function: lambda_.Function,
               worker_function: lambda_.Function, queue: sqs.Queue, dead_letters: sqs.Queue) -> list[cloudwatch.Alarm]:
    def alarm(id: str, description: str, metric: cloudwatch.IMetric, threshold: float,
              periods: int = 1) -> cloudwatch.Alarm:
        return cloudwatch.Alarm(scope, id, alarm_description=description, metric=metric, threshold=threshold,
                                comparison_operator=GREATER, evaluation_periods=periods,
                                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)

    alarms = [
        alarm("DeadLettersAlarm", "Files the worker failed to read after every retry are in the dead-letter queue",
              dead_letters.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES), thresholds.dead_letters),
        alarm("QueueAgeAlarm", f"A file has waited over {thresholds.oldest_message_age_s} s in the drop folder's queue",
              queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum"),
              thresholds.oldest_message_age_s),
        alarm("ApiLatencyAlarm", f"The API's p95 latency is over {thresholds.api_p95_latency_ms} ms for 15 minutes",
              api.metric_latency(period=FIVE_MINUTES, statistic="p95"), thresholds.api_p95_latency_ms, periods=3),
        alarm("ApiServerErrorsAlarm", "The API answered with 5XX errors in the last 5 minutes",
              api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"), thresholds.api_server_errors),
        alarm("FailedDocumentsAlarm", "Drop-folder files ended in an .error.json in the last 5 minutes",
              emf("DocumentsFailed", "worker", labelled=False), thresholds.failed_documents),
    ]
    for name, fn in (("Api", api_function), ("Worker", worker_function)):
        for what, metric, threshold in (("Errors", fn.metric_errors(period=FIVE_MINUTES), thresholds.function_errors),
                                        ("Throttles", fn.metric_throttles(period=FIVE_MINUTES), thresholds.throttles)):
            alarms.append(alarm(f"{name}{what}Alarm", f"The {name.lower()} function: {what.lower()} in the last "
                                "5 minutes", metric, threshold))
    return alarms


def add_dashboard(scope: Construct, *, name: str, api: apigw.RestApi, api_function: lambda_.Function,
                  worker_function: lambda_.Function, queue: sqs.Queue, dead_letters: sqs.Queue,
                  alarms: list[cloudwatch.Alarm]) -> cloudwatch.Dashboard:
    def graph(title: str, left: list[cloudwatch.IMetric], right: list[cloudwatch.IMetric] | None = None,
              width: int = 8) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=left, right=right or [], width=width, height=6)

    def cold_starts(fn: lambda_.Function, role: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace=METRICS_NAMESPACE, metric_name="ColdStart", statistic="Sum",
                                 period=FIVE_MINUTES, label=f"cold starts ({role})",
                                 dimensions_map={"function_name": fn.function_name, "service": f"{SERVICE}-{role}"})

    errors_by_code = cloudwatch.MathExpression(
        expression=f"SEARCH('{{{METRICS_NAMESPACE},ErrorCode,service}} MetricName=\"Errors\"', 'Sum', 300)",
        using_metrics={}, label="", period=FIVE_MINUTES)
    dashboard = cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=name, default_interval=Duration.hours(3))
    dashboard.add_widgets(
        graph("API requests", [api.metric_count(period=MINUTE, statistic="Sum", label="requests")],
              [api.metric_client_error(period=MINUTE, statistic="Sum", label="4XX"),
               api.metric_server_error(period=MINUTE, statistic="Sum", label="5XX")]),
        graph("API latency (ms)", [api.metric_latency(period=MINUTE, statistic=s, label=s) for s in ("p50", "p95")]),
        graph("Pages per minute", [emf("Pages", role, period=MINUTE) for role in ("api", "worker")]),
    )
    dashboard.add_widgets(
        graph("Errors by code", [errors_by_code]),
        graph("Worker duration (ms)", [worker_function.metric_duration(period=FIVE_MINUTES, statistic=s, label=s)
                                       for s in ("p50", "p95", "Maximum")]),
        graph("Stage times, worker (ms, average)",
              [emf(name, "worker", "Average") for name in ("DecodeTime", "DetectTime", "RecognizeTime",
                                                           "FormatsTime")]),
    )
    dashboard.add_widgets(
        graph("Drop-folder queue", [queue.metric_approximate_number_of_messages_visible(period=MINUTE,
                                                                                       label="messages waiting")],
              [queue.metric_approximate_age_of_oldest_message(period=MINUTE, statistic="Maximum",
                                                              label="oldest message age (s)")]),
        graph("Dead letters and documents", [dead_letters.metric_approximate_number_of_messages_visible(
            period=MINUTE, label="dead letters")],
              [emf("DocumentsCompleted", "worker"), emf("DocumentsFailed", "worker"), emf("FanoutRanges", "worker")]),
        graph("Cold starts", [cold_starts(api_function, "api"), cold_starts(worker_function, "worker")],
              [emf("InitDuration", role, "Average") for role in ("api", "worker")]),
    )
    dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=24, height=4))
    return dashboard
