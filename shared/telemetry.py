"""Traces (OpenTelemetry, W3C traceparent through HTTP → outbox → Kafka → consumer), metrics and JSON logs."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge, Histogram

_PROPAGATOR = TraceContextTextMapPropagator()
_configured = False
_tracer: trace.Tracer | None = None

HTTP_REQUESTS = Counter("gridgov_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("gridgov_http_request_seconds", "HTTP request latency", ["service", "route"],
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
EVENTS_PUBLISHED = Counter("gridgov_events_published_total", "Events published by the outbox relay", ["service", "topic"])
EVENTS_CONSUMED = Counter("gridgov_events_consumed_total", "Events handled by consumers", ["service", "type", "outcome"])
OUTBOX_PENDING = Gauge("gridgov_outbox_pending", "Outbox rows not yet published", ["service"])
DLQ_MESSAGES = Counter("gridgov_dlq_messages_total", "Messages sent to the DLQ", ["service", "reason_kind"])


def configure(service: str, *, exporter: str = "none", level: str = "INFO", json_logs: bool = True) -> None:
    """Set up tracing and logging once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": f"gridgov-{service}"}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    trace.set_tracer_provider(provider)
    global _tracer
    _tracer = None
    _configure_logging(service, level=level, json_logs=json_logs)


def tracer() -> trace.Tracer:
    global _tracer
    if _tracer is None:
        _tracer = trace.get_tracer("gridgov")
    return _tracer


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def span_from(traceparent: str | None, name: str, **attributes: Any) -> Iterator[trace.Span]:
    """Start a span whose parent is the given W3C traceparent (or a new trace)."""
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()
    with tracer().start_as_current_span(name, context=parent, attributes=attributes) as span:
        yield span


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
            "service": self.service, "logger": record.name, "message": record.getMessage(),
        }
        if span.is_valid:
            entry["trace_id"] = f"{span.trace_id:032x}"
            entry["span_id"] = f"{span.span_id:016x}"
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def _configure_logging(service: str, *, level: str, json_logs: bool) -> None:
    from shared.pii import PiiRedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service) if json_logs else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(PiiRedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel("WARNING")
