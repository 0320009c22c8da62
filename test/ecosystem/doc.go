// Package ecosystem holds tests that run widely used gRPC libraries
// (OpenTelemetry's otelgrpc, go-grpc-middleware) against this module, to
// check that it is a drop-in replacement for them. It is a module of its
// own so that the main module does not depend on those libraries. Its
// import path lies under google.golang.org/grpc, so the tests may use the
// main module's internal packages (leakcheck).
package ecosystem
