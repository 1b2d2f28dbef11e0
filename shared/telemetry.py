"""Traces (OpenTelemetry, W3C traceparent through HTTP → outbox → Kafka → consumer), metrics and JSON logs."""

from __future__ import annotations

import logging
import random
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge, Histogram

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_configured = False
_tracer: trace.Tracer | None = None
# Whether spans go anywhere (an exporter is configured). Without one an SDK span per consumed event or request
# cost ~24 µs of CPU that nobody reads (a tenth of a consumer's time per event); ``span_from`` then only carries
# the trace on (~5 µs).
_recording = False

HTTP_REQUESTS = Counter("gridgov_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("gridgov_http_request_seconds", "HTTP request latency", ["service", "route"],
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
EVENTS_PUBLISHED = Counter("gridgov_events_published_total", "Events published by the outbox relay", ["service", "topic"])
EVENTS_CONSUMED = Counter("gridgov_events_consumed_total", "Events handled by consumers", ["service", "type", "outcome"])
OUTBOX_PENDING = Gauge("gridgov_outbox_pending", "Outbox rows not yet published", ["service"])
DLQ_MESSAGES = Counter("gridgov_dlq_messages_total", "Messages sent to the DLQ", ["service", "reason_kind"])


def configure(service: str, *, exporter: str = "none", endpoint: str = "http://127.0.0.1:4318", level: str = "INFO",
              json_logs: bool = True) -> None:
    """Set up tracing and logging once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": f"gridgov-{service}"}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif exporter == "otlp":
        # OTLP over HTTP/protobuf to the collector at ``endpoint`` (its OTLP/HTTP port, 4318); headers and timeouts
        # from the standard OTEL_EXPORTER_OTLP_* variables. Spans leave in batches, off the event loop.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter_to = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        provider.add_span_processor(BatchSpanProcessor(exporter_to))
    trace.set_tracer_provider(provider)
    global _tracer, _recording
    _tracer = None
    _recording = exporter != "none"
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
    """Start a span whose parent is the given W3C traceparent (or a new trace).

    When nothing exports spans the span is not recorded: it has its own span id in the parent's trace (the
    parent's sampled flag kept), so logs, outgoing HTTP calls and published events carry the trace on exactly as
    a recorded one would."""
    if not _recording:
        unrecorded = NonRecordingSpan(_child_context(traceparent))
        token = otel_context.attach(trace.set_span_in_context(unrecorded))
        try:
            yield unrecorded
        finally:
            otel_context.detach(token)
        return
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else otel_context.Context()
    with tracer().start_as_current_span(name, context=parent, attributes=attributes) as span:
        yield span


def _child_context(traceparent: str | None) -> SpanContext:
    """A new span id in ``traceparent``'s trace; a new sampled trace when it is absent or not valid W3C."""
    span_id = random.getrandbits(64) or 1
    parent = _parse_traceparent(traceparent) if traceparent else None
    if parent is None:
        return SpanContext(random.getrandbits(128) or 1, span_id, is_remote=False,
                           trace_flags=TraceFlags(TraceFlags.SAMPLED))
    trace_id, flags = parent
    return SpanContext(trace_id, span_id, is_remote=False, trace_flags=TraceFlags(flags))


def _parse_traceparent(traceparent: str) -> tuple[int, int] | None:
    """(trace id, flags) of a W3C traceparent ``00-<32 hex>-<16 hex>-<2 hex>``; None when it is not one."""
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None:
        return None
    trace_id, parent_id, flags = (int(part, 16) for part in match.groups())
    return (trace_id, flags) if trace_id and parent_id else None


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
