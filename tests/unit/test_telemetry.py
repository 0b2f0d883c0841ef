"""Traces are off unless an OTLP endpoint is set, and then exported from a provider of their own."""

from __future__ import annotations

from hub.settings_model import TelemetrySettings
from hub.telemetry import Tracing, setup_tracing


def test_traces_are_off_without_an_endpoint() -> None:
    tracing = setup_tracing(TelemetrySettings())
    assert not tracing.enabled and tracing.operation() is None
    tracing.after("source.batch", 0.01, {})  # costs nothing, raises nothing
    with tracing.audit_write("r-1", 1, ["SIAK"]):
        pass


def test_an_endpoint_turns_them_on_with_the_service_name_and_ratio() -> None:
    settings = TelemetrySettings(
        otlp_endpoint="http://127.0.0.1:9/v1/traces", service_name="hub-a", sample_ratio=0.25
    )
    tracing = setup_tracing(settings)
    try:
        assert isinstance(tracing, Tracing) and tracing.enabled
        assert tracing.provider is not None
        assert tracing.provider.resource.attributes["service.name"] == "hub-a"
        assert "0.25" in tracing.provider.sampler.get_description()
    finally:
        tracing.shutdown()  # nothing was recorded: nothing to send to the closed port
