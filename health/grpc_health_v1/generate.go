// Package grpc_health_v1 holds the messages and the service of the gRPC
// health checking protocol (package grpc.health.v1), generated from
// health.proto.
//
// The file is compiled under its canonical name (grpc/health/v1/health.proto),
// the name every gRPC implementation registers it under, hence the staging
// directory. Like grpc-go, the server interface does not require embedding
// UnimplementedHealthServer.
package grpc_health_v1

//go:generate sh -c "rm -rf _gen && mkdir -p _gen/grpc/health/v1 && cp health.proto _gen/grpc/health/v1/ && protoc -I_gen --go_out=_gen --go_opt=paths=source_relative --go-grpc_out=_gen --go-grpc_opt=paths=source_relative,require_unimplemented_servers=false grpc/health/v1/health.proto && mv _gen/grpc/health/v1/*.go . && rm -rf _gen"
