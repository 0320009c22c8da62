// Package reflection serves the gRPC server reflection protocol, which lets
// tools such as grpcurl list a server's services and download the protobuf
// descriptors needed to call them without having the .proto files.
//
// Install it next to the server's own services:
//
//	s := grpc.NewServer()
//	pb.RegisterGreeterServer(s, &greeter{})
//	reflection.Register(s)
//	s.Serve(lis)
//
// Descriptors are looked up in protoregistry.GlobalFiles and
// protoregistry.GlobalTypes by default, where every generated Go protobuf
// package registers itself on import; NewServerV1 accepts other registries.
package reflection

import (
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	v1grpc "google.golang.org/grpc/reflection/grpc_reflection_v1"
	v1alphagrpc "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// GRPCServer is what Register needs from a server: somewhere to register the
// reflection service and a way to enumerate the services to advertise.
// *grpc.Server satisfies it; wrappers may too.
type GRPCServer interface {
	grpc.ServiceRegistrar
	ServiceInfoProvider
}

var _ GRPCServer = (*grpc.Server)(nil)

// ServiceInfoProvider supplies the set of services reported to list_services
// queries. Only the map keys (full service names) are used, so an
// implementation that filters or augments a server's services may leave the
// ServiceInfo values empty.
//
// # Experimental
//
// Marked experimental in grpc-go as well: it may change in a future
// release.
type ServiceInfoProvider interface {
	GetServiceInfo() map[string]grpc.ServiceInfo
}

// ExtensionResolver finds extension fields, by number or by the message they
// extend. protoregistry.GlobalTypes implements it.
//
// # Experimental
//
// Marked experimental in grpc-go as well: it may change in a future
// release.
type ExtensionResolver interface {
	protoregistry.ExtensionTypeResolver
	RangeExtensionsByMessage(message protoreflect.FullName, f func(protoreflect.ExtensionType) bool)
}

// ServerOptions configures a reflection service built by NewServer or
// NewServerV1.
//
// # Experimental
//
// Marked experimental in grpc-go as well: it may change in a future
// release.
type ServerOptions struct {
	// Services decides which service names list_services returns; usually
	// the *grpc.Server itself. When nil, the list is empty.
	Services ServiceInfoProvider
	// DescriptorResolver finds files and symbols; nil means
	// protoregistry.GlobalFiles.
	DescriptorResolver protodesc.Resolver
	// ExtensionResolver finds extensions; nil means
	// protoregistry.GlobalTypes.
	ExtensionResolver ExtensionResolver
}

// Register adds server reflection to s, under both protocol versions: v1 and
// the older v1alpha that many clients still use. The advertised services are
// whatever s reports when a client asks, so services registered after this
// call are included too.
func Register(s GRPCServer) {
	srv := NewServerV1(ServerOptions{Services: s})
	v1alphagrpc.RegisterServerReflectionServer(s, toV1Alpha(srv))
	v1grpc.RegisterServerReflectionServer(s, srv)
}

// RegisterV1 adds only the v1 reflection service to s. Prefer Register unless
// v1alpha clients are known not to matter.
func RegisterV1(s GRPCServer) {
	v1grpc.RegisterServerReflectionServer(s, NewServerV1(ServerOptions{Services: s}))
}

// NewServer builds a v1alpha reflection service from opts, for callers that
// need to control what is advertised or where descriptors come from; register
// the result with grpc_reflection_v1alpha.RegisterServerReflectionServer. It
// returns v1alpha for compatibility with older releases; NewServerV1 is the
// v1 counterpart.
//
// # Experimental
//
// Marked experimental in grpc-go as well: it may change in a future
// release.
func NewServer(opts ServerOptions) v1alphagrpc.ServerReflectionServer {
	return toV1Alpha(NewServerV1(opts))
}

// NewServerV1 builds a v1 reflection service from opts; register the result
// with grpc_reflection_v1.RegisterServerReflectionServer.
//
// # Experimental
//
// Marked experimental in grpc-go as well: it may change in a future
// release.
func NewServerV1(opts ServerOptions) v1grpc.ServerReflectionServer {
	s := &server{services: opts.Services, files: opts.DescriptorResolver, exts: opts.ExtensionResolver}
	if s.files == nil {
		s.files = protoregistry.GlobalFiles
	}
	if s.exts == nil {
		s.exts = protoregistry.GlobalTypes
	}
	return s
}
