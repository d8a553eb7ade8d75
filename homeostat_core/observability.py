"""The one place that holds the Logger, Metrics and Tracer singletons.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE
(set by infra); the defaults below serve local runs and tests.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "homeostat")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Homeostat")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# Tracer is a no-op outside Lambda (POWERTOOLS_TRACE_DISABLED or no X-Ray daemon).
tracer = Tracer(service=SERVICE, disabled=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") is None)
