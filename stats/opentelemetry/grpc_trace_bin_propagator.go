package opentelemetry

import (
	"context"

	otelpropagation "go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// traceBinHeader is the metadata key of the binary trace context.
const traceBinHeader = "grpc-trace-bin"

// GRPCTraceBinPropagator is an OpenTelemetry TextMapPropagator that carries
// the span context in the binary grpc-trace-bin header (the OpenCensus
// BinaryFormat that gRPC implementations share).
type GRPCTraceBinPropagator struct{}

// Inject writes the span context of ctx to the grpc-trace-bin key of
// carrier, if ctx has a valid one.
func (GRPCTraceBinPropagator) Inject(ctx context.Context, carrier otelpropagation.TextMapCarrier) {
	sc := oteltrace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	carrier.Set(traceBinHeader, string(encodeTraceBin(sc)))
}

// Extract returns ctx with the remote span context read from the
// grpc-trace-bin key of carrier, or ctx itself when the key is missing or
// malformed.
func (GRPCTraceBinPropagator) Extract(ctx context.Context, carrier otelpropagation.TextMapCarrier) context.Context {
	v := carrier.Get(traceBinHeader)
	if v == "" {
		return ctx
	}
	sc, ok := decodeTraceBin([]byte(v))
	if !ok {
		return ctx
	}
	return oteltrace.ContextWithRemoteSpanContext(ctx, sc)
}

// Fields returns the only key Inject sets, grpc-trace-bin.
func (GRPCTraceBinPropagator) Fields() []string {
	return []string{traceBinHeader}
}

// The binary format: a version byte (0), then fields each introduced by
// their id: 0 the 16-byte trace ID, 1 the 8-byte span ID, 2 the one-byte
// trace options.
const (
	traceBinLen     = 1 + (1 + 16) + (1 + 8) + (1 + 1)
	traceIDField    = 0
	spanIDField     = 1
	traceFlagsField = 2
)

func encodeTraceBin(sc oteltrace.SpanContext) []byte {
	b := make([]byte, 0, traceBinLen)
	tid, sid := sc.TraceID(), sc.SpanID()
	b = append(b, 0, traceIDField)
	b = append(b, tid[:]...)
	b = append(b, spanIDField)
	b = append(b, sid[:]...)
	b = append(b, traceFlagsField, byte(sc.TraceFlags()))
	return b
}

func decodeTraceBin(b []byte) (oteltrace.SpanContext, bool) {
	if len(b) != traceBinLen || b[0] != 0 || b[1] != traceIDField || b[18] != spanIDField || b[27] != traceFlagsField {
		return oteltrace.SpanContext{}, false
	}
	var tid oteltrace.TraceID
	var sid oteltrace.SpanID
	copy(tid[:], b[2:18])
	copy(sid[:], b[19:27])
	sc := oteltrace.NewSpanContext(oteltrace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: oteltrace.TraceFlags(b[28]),
		Remote:     true,
	})
	return sc, sc.IsValid()
}
