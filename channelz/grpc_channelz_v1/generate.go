// Package grpc_channelz_v1 holds the messages and the service of the gRPC
// channelz introspection protocol (proto package grpc.channelz.v1),
// generated from channelz.proto.
//
// The file is compiled under its canonical name
// (grpc/channelz/v1/channelz.proto), the name other gRPC implementations and
// tools register it under, hence the staging directory. As in grpc-go, the
// server interface does not force embedding UnimplementedChannelzServer.
package grpc_channelz_v1

//go:generate sh -c "rm -rf _gen && mkdir -p _gen/grpc/channelz/v1 && cp channelz.proto _gen/grpc/channelz/v1/ && protoc -I_gen --go_out=_gen --go_opt=paths=source_relative --go-grpc_out=_gen --go-grpc_opt=paths=source_relative,require_unimplemented_servers=false grpc/channelz/v1/channelz.proto && mv _gen/grpc/channelz/v1/*.go . && rm -rf _gen"
