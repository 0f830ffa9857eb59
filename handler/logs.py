"""One logger for the API and the worker: Powertools' Logger (JSON, one object per line,
with the Lambda request id where there is one; service from POWERTOOLS_SERVICE_NAME, level
from LOG_LEVEL). Never image content. On stderr: stdout is the local invoke's answer."""

from __future__ import annotations

import sys

from aws_lambda_powertools import Logger

logger = Logger(service="ocr-service", stream=sys.stderr)
