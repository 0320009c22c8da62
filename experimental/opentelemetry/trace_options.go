// Package opentelemetry holds, for now, the tracing settings of the
// OpenTelemetry instrumentation in google.golang.org/grpc/stats/opentelemetry,
// where grpc-go plans to move them; like grpc-go's, it is experimental.
//
// It holds the tracing settings of the OpenTelemetry instrumentation of
// google.golang.org/grpc/stats/opentelemetry.
package opentelemetry

import (
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TraceOptions contains the tracing settings for OpenTelemetry
// instrumentation.
type TraceOptions struct {
	// TracerProvider creates the tracer the spans are recorded with. No
	// span is recorded while it is nil.
	TracerProvider trace.TracerProvider

	// TextMapPropagator carries the span context across the wire in the
	// RPC's metadata. Without it spans are recorded but not linked between
	// client and server.
	TextMapPropagator propagation.TextMapPropagator
}
