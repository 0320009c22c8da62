package grpc

import "context"

// MethodHandler is the type of the function generated code installs for a
// unary method: dec decodes the request, and interceptor (possibly nil) wraps
// the call to the service implementation.
type MethodHandler func(srv any, ctx context.Context, dec func(any) error, interceptor UnaryServerInterceptor) (any, error)

// MethodDesc describes one unary method of a service.
type MethodDesc struct {
	MethodName string
	Handler    MethodHandler
}

// ServiceDesc describes a service: its name, methods and streams. Generated
// code passes it to RegisterService.
type ServiceDesc struct {
	ServiceName string
	// HandlerType is a pointer to the service interface; it is used to check
	// that the registered implementation satisfies it.
	HandlerType any
	Methods     []MethodDesc
	Streams     []StreamDesc
	Metadata    any
}

// MethodInfo describes one method of a registered service.
type MethodInfo struct {
	// Name is the bare method name (no package or service).
	Name string
	// IsClientStream reports whether the client sends a stream of messages.
	IsClientStream bool
	// IsServerStream reports whether the server sends a stream of messages.
	IsServerStream bool
}

// ServiceInfo describes a registered service, as returned by
// Server.GetServiceInfo.
type ServiceInfo struct {
	// Methods lists unary methods first, then streaming ones.
	Methods []MethodInfo
	// Metadata is ServiceDesc.Metadata as registered.
	Metadata any
}

// ServiceRegistrar is anything generated Register functions can register a
// service with; *Server implements it, and so may user types.
type ServiceRegistrar interface {
	// RegisterService adds the service described by desc, implemented by
	// impl, before serving starts.
	RegisterService(desc *ServiceDesc, impl any)
}
