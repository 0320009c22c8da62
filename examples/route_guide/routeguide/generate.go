// Package routeguide holds the messages and the RouteGuide service of the
// route-guide example, generated from route_guide.proto.
package routeguide

//go:generate protoc -I../../.. --go_out=../../.. --go_opt=paths=source_relative --go-grpc_out=../../.. --go-grpc_opt=paths=source_relative examples/route_guide/routeguide/route_guide.proto
