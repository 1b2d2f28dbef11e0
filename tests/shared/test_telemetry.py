"""Traces: unrecorded spans still carry the trace on; the OTLP exporter really sends recorded ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from shared import telemetry

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _context_inside(traceparent: str | None) -> tuple[trace.SpanContext, str | None]:
    with telemetry.span_from(traceparent, "consume x") as span:
        assert span.get_span_context() == trace.get_current_span().get_span_context()
        return span.get_span_context(), telemetry.current_traceparent()


def test_an_unrecorded_span_continues_its_parents_trace_with_its_own_span_id() -> None:
    # the suite runs with the exporter "none" (tests/conftest.py), as `gridgov run` does by default
    context, header = _context_inside(PARENT)
    assert not trace.get_current_span().get_span_context().is_valid  # detached on the way out
    assert f"{context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert context.span_id not in (0, 0xB7AD6B7169203331)
    assert header == f"00-0af7651916cd43dd8448eb211c80319c-{context.span_id:016x}-01"
    unsampled, header = _context_inside(PARENT[:-2] + "00")
    assert unsampled.trace_flags == 0 and header is not None and header.endswith("-00")


def test_a_missing_or_malformed_traceparent_starts_a_new_trace() -> None:
    seen = set()
    for bad in (None, "", "garbage", PARENT.upper(), "00-" + "0" * 32 + "-b7ad6b7169203331-01",
                "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", PARENT + "-extra"):
        context, header = _context_inside(bad)
        assert context.is_valid and context.trace_flags == 1, bad
        assert header == f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
        seen.add(context.trace_id)
    assert len(seen) == 7 and 0x0AF7651916CD43DD8448EB211C80319C not in seen


class _Collector(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_the_otlp_exporter_sends_recorded_spans_to_the_collector() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_port}"
    probe = textwrap.dedent(f"""
        from opentelemetry import trace
        from shared import telemetry
        telemetry.configure("probe", exporter="otlp", endpoint={endpoint!r}, json_logs=False)
        with telemetry.span_from({PARENT!r}, "consume cn.gridgov.ticket.received.v1", consumer="routing"):
            print(telemetry.current_traceparent())
        trace.get_tracer_provider().force_flush()
    """)
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin"})
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert [path for path, _ in _Collector.bodies] == ["/v1/traces"]
    request = ExportTraceServiceRequest.FromString(_Collector.bodies[0][1])
    resource = request.resource_spans[0]
    attributes = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert attributes["service.name"] == "gridgov-probe"
    (span,) = resource.scope_spans[0].spans
    assert span.name == "consume cn.gridgov.ticket.received.v1"
    assert span.trace_id.hex() == "0af7651916cd43dd8448eb211c80319c"
    assert span.parent_span_id.hex() == "b7ad6b7169203331"
    assert done.stdout.strip() == f"00-{span.trace_id.hex()}-{span.span_id.hex()}-01"
    assert {a.key: a.value.string_value for a in span.attributes} == {"consumer": "routing"}
