// Package internal holds declarations that several gRPC packages share but
// that must not become part of the public API.
package internal

// EnforceSubConnEmbedding is embedded in balancer.SubConn. Its method is
// unexported, so a type outside gRPC can only satisfy balancer.SubConn by
// embedding an existing SubConn; that leaves gRPC free to add methods to the
// interface later without breaking anyone.
type EnforceSubConnEmbedding interface {
	enforceSubConnEmbedding()
}

// EnforceClientConnEmbedding plays the same role for balancer.ClientConn:
// wrappers written by load balancing policies have to embed the ClientConn
// they were given.
type EnforceClientConnEmbedding interface {
	enforceClientConnEmbedding()
}

// EnforceMetricsRecorderEmbedding plays the same role for metrics recorders
// handed to load balancing policies.
type EnforceMetricsRecorderEmbedding interface {
	enforceMetricsRecorderEmbedding()
}

// ParseServiceConfig is set by the grpc package to its service config
// parser, a func(string) *serviceconfig.ParseResult. LB policies that embed
// a child config (and grpc-go's own examples) parse JSON through it.
var ParseServiceConfig any

// JoinServerOptions is set by the grpc package to a
// func(...grpc.ServerOption) grpc.ServerOption that applies several options
// as one, for packages that must hand out a single ServerOption.
var JoinServerOptions any

// ORCAAllowAnyMinReportingInterval is set by the orca package to a
// func(*orca.ServiceOptions) that lifts the service's minimum reporting
// interval; tests and examples use it.
var ORCAAllowAnyMinReportingInterval any

// JoinDialOptions is set by the grpc package to a
// func(...grpc.DialOption) grpc.DialOption that applies several dial options
// as one.
var JoinDialOptions any

// SetDefaultBufferPool is set by the mem package to a func(mem.BufferPool)
// replacing the pool mem.DefaultBufferPool returns (for
// experimental.SetDefaultBufferPool).
var SetDefaultBufferPool any

// WithBufferPool is set by the grpc package to a
// func(mem.BufferPool) grpc.DialOption (experimental.WithBufferPool).
var WithBufferPool any

// BufferPool is set by the grpc package to a
// func(mem.BufferPool) grpc.ServerOption (experimental.BufferPool).
var BufferPool any

// AcceptCompressors is set by the grpc package to a
// func(...string) grpc.CallOption (experimental.AcceptCompressors).
var AcceptCompressors any
