// Package interop implements both halves of the standard gRPC interop test
// (https://github.com/grpc/grpc/blob/master/doc/interop-test-descriptions.md)
// on top of this module's grpc: a TestService server (NewTestServer) and the
// client test cases (TestCases), plus extra stress and limit cases
// (ExtraCases) that the standard suite leaves out.
//
// The binaries in ./client and ./server expose them with the flags of
// grpc-go's interop binaries, and interop_test.go runs every case in both
// directions against grpc-go v1.85.0 (built from ./grpcgo).
package interop
