//lint:file-ignore SA1019 the tests must drive the deprecated v1alpha protocol too.

package reflection_test

import (
	"context"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/internal/leakcheck"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/reflection/internal/testpb"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1pb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	v1alphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

const (
	serviceFile = "reflection/internal/testpb/service.proto"
	baseFile    = "reflection/internal/testpb/base.proto"
	extFile     = "reflection/internal/testpb/ext.proto"
	tsFile      = "google/protobuf/timestamp.proto"
)

// catalog is a do-nothing implementation; the tests only need the service to
// be registered.
type catalog struct{}

func (catalog) Lookup(context.Context, *testpb.LookupRequest) (*testpb.Item, error) {
	return &testpb.Item{}, nil
}

func (catalog) Watch(grpc.BidiStreamingServer[testpb.LookupRequest, testpb.Item]) error { return nil }

// serve starts a loopback server with the services that register installs
// and returns a client connection to it, and a function stopping both. The
// caller defers stop after the leak check so that it runs first (t.Cleanup
// would run too late, after the deferred check).
func serve(t *testing.T, register func(*grpc.Server)) (cc *grpc.ClientConn, stop func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	register(s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(lis)
	}()
	cc, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	return cc, func() {
		cc.Close()
		s.Stop()
		<-done
	}
}

func fullServer(s *grpc.Server) {
	testpb.RegisterCatalogServer(s, catalog{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	reflection.Register(s)
}

// stream is one reflection stream, of either protocol version, driven with
// v1 messages.
type stream interface {
	query(t *testing.T, req *v1pb.ServerReflectionRequest) *v1pb.ServerReflectionResponse
	closeAndCheck(t *testing.T)
}

type v1Stream struct {
	s grpc.BidiStreamingClient[v1pb.ServerReflectionRequest, v1pb.ServerReflectionResponse]
}

func (v v1Stream) query(t *testing.T, req *v1pb.ServerReflectionRequest) *v1pb.ServerReflectionResponse {
	t.Helper()
	if err := v.s.Send(req); err != nil {
		t.Fatalf("Send: %v", err)
	}
	resp, err := v.s.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return resp
}

func (v v1Stream) closeAndCheck(t *testing.T) {
	t.Helper()
	v.s.CloseSend()
	if _, err := v.s.Recv(); err != io.EOF {
		t.Fatalf("after CloseSend, Recv = %v, want io.EOF (a clean end of stream)", err)
	}
}

// alphaStream speaks v1alpha on the wire. Requests and responses are
// converted through their wire form, independently of the server's own
// conversion, and each response is checked to be a well-formed v1alpha
// message before the test inspects it.
type alphaStream struct {
	s grpc.BidiStreamingClient[v1alphapb.ServerReflectionRequest, v1alphapb.ServerReflectionResponse]
}

func recode(t *testing.T, src, dst proto.Message) {
	t.Helper()
	b, err := proto.Marshal(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, dst); err != nil {
		t.Fatal(err)
	}
}

func (a alphaStream) query(t *testing.T, req *v1pb.ServerReflectionRequest) *v1pb.ServerReflectionResponse {
	t.Helper()
	areq := new(v1alphapb.ServerReflectionRequest)
	recode(t, req, areq)
	if err := a.s.Send(areq); err != nil {
		t.Fatalf("Send: %v", err)
	}
	aresp, err := a.s.Recv()
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	if !proto.Equal(aresp.GetOriginalRequest(), areq) {
		t.Errorf("v1alpha original_request = %v, want %v", aresp.GetOriginalRequest(), areq)
	}
	resp := new(v1pb.ServerReflectionResponse)
	recode(t, aresp, resp)
	return resp
}

func (a alphaStream) closeAndCheck(t *testing.T) {
	t.Helper()
	a.s.CloseSend()
	if _, err := a.s.Recv(); err != io.EOF {
		t.Fatalf("after CloseSend, Recv = %v, want io.EOF (a clean end of stream)", err)
	}
}

type version struct {
	name string
	open func(t *testing.T, ctx context.Context, cc *grpc.ClientConn) stream
}

var versions = []version{
	{"v1", func(t *testing.T, ctx context.Context, cc *grpc.ClientConn) stream {
		s, err := v1pb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v1Stream{s}
	}},
	{"v1alpha", func(t *testing.T, ctx context.Context, cc *grpc.ClientConn) stream {
		s, err := v1alphapb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return alphaStream{s}
	}},
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fileNames decodes a file_descriptor_response and returns the file names in
// order, checking each file against the copy in the global registry.
func fileNames(t *testing.T, resp *v1pb.ServerReflectionResponse) []string {
	t.Helper()
	fdr := resp.GetFileDescriptorResponse()
	if fdr == nil {
		t.Fatalf("got %v, want a file_descriptor_response", resp.GetMessageResponse())
	}
	var names []string
	for _, b := range fdr.GetFileDescriptorProto() {
		fdp := new(descriptorpb.FileDescriptorProto)
		if err := proto.Unmarshal(b, fdp); err != nil {
			t.Fatalf("undecodable descriptor: %v", err)
		}
		fd, err := protoregistry.GlobalFiles.FindFileByPath(fdp.GetName())
		if err != nil {
			t.Fatalf("server sent unknown file %q", fdp.GetName())
		}
		if want := protodesc.ToFileDescriptorProto(fd); !proto.Equal(fdp, want) {
			t.Errorf("descriptor of %q differs from the registered one", fdp.GetName())
		}
		names = append(names, fdp.GetName())
	}
	return names
}

func wantFiles(t *testing.T, what string, resp *v1pb.ServerReflectionResponse, want ...string) {
	t.Helper()
	if got := fileNames(t, resp); !slices.Equal(got, want) {
		t.Errorf("%s: files %q, want %q", what, got, want)
	}
}

func wantNotFound(t *testing.T, what string, resp *v1pb.ServerReflectionResponse) {
	t.Helper()
	er := resp.GetErrorResponse()
	if er == nil {
		t.Fatalf("%s: got %v, want an error_response", what, resp.GetMessageResponse())
	}
	if codes.Code(er.GetErrorCode()) != codes.NotFound || er.GetErrorMessage() == "" {
		t.Errorf("%s: error %d %q, want NotFound with a message", what, er.GetErrorCode(), er.GetErrorMessage())
	}
}

func byFile(name string) *v1pb.ServerReflectionRequest {
	return &v1pb.ServerReflectionRequest{MessageRequest: &v1pb.ServerReflectionRequest_FileByFilename{FileByFilename: name}}
}

func bySymbol(name string) *v1pb.ServerReflectionRequest {
	return &v1pb.ServerReflectionRequest{MessageRequest: &v1pb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: name}}
}

func byExtension(msg string, num int32) *v1pb.ServerReflectionRequest {
	return &v1pb.ServerReflectionRequest{MessageRequest: &v1pb.ServerReflectionRequest_FileContainingExtension{
		FileContainingExtension: &v1pb.ExtensionRequest{ContainingType: msg, ExtensionNumber: num},
	}}
}

func extNumbers(msg string) *v1pb.ServerReflectionRequest {
	return &v1pb.ServerReflectionRequest{MessageRequest: &v1pb.ServerReflectionRequest_AllExtensionNumbersOfType{AllExtensionNumbersOfType: msg}}
}

func listServices() *v1pb.ServerReflectionRequest {
	return &v1pb.ServerReflectionRequest{MessageRequest: &v1pb.ServerReflectionRequest_ListServices{ListServices: "*"}}
}

func serviceNames(t *testing.T, resp *v1pb.ServerReflectionResponse) []string {
	t.Helper()
	ls := resp.GetListServicesResponse()
	if ls == nil {
		t.Fatalf("got %v, want a list_services_response", resp.GetMessageResponse())
	}
	var names []string
	for _, s := range ls.GetService() {
		names = append(names, s.GetName())
	}
	return names
}

func TestListServices(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, fullServer)
	defer stop()
	want := []string{
		"grpc.health.v1.Health",
		"grpc.reflection.testing.Catalog",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := v.open(t, testContext(t), cc)
			req := listServices()
			req.Host = "example.test"
			resp := s.query(t, req)
			if got := serviceNames(t, resp); !slices.Equal(got, want) {
				t.Errorf("services %q, want %q", got, want)
			}
			if resp.GetValidHost() != "example.test" || !proto.Equal(resp.GetOriginalRequest(), req) {
				t.Errorf("valid_host %q, original_request %v: not echoed", resp.GetValidHost(), resp.GetOriginalRequest())
			}
			s.closeAndCheck(t)
		})
	}
}

func TestFileQueries(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, fullServer)
	defer stop()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			ctx := testContext(t)

			// Dependencies are sent once per stream, breadth first after the
			// requested file, which itself is always sent.
			s := v.open(t, ctx, cc)
			wantFiles(t, "service file", s.query(t, byFile(serviceFile)), serviceFile, baseFile, tsFile)
			wantFiles(t, "service file again", s.query(t, byFile(serviceFile)), serviceFile)
			wantFiles(t, "message", s.query(t, bySymbol("grpc.reflection.testing.Item")), baseFile)
			wantFiles(t, "extension by number", s.query(t, byExtension("grpc.reflection.testing.Item", 120)), extFile)
			wantFiles(t, "well-known type", s.query(t, bySymbol("google.protobuf.Timestamp")), tsFile)
			s.closeAndCheck(t)

			// Each kind of symbol resolves to its file, on fresh streams.
			for _, tc := range []struct {
				symbol string
				want   []string
			}{
				{"grpc.reflection.testing.Catalog", []string{serviceFile, baseFile, tsFile}},
				{"grpc.reflection.testing.Catalog.Watch", []string{serviceFile, baseFile, tsFile}},
				{"grpc.reflection.testing.LookupRequest.name", []string{serviceFile, baseFile, tsFile}},
				{"grpc.reflection.testing.Plain", []string{baseFile, tsFile}},
				{"grpc.reflection.testing.owner", []string{extFile, baseFile, tsFile}},
				{"grpc.health.v1.Health", []string{"grpc/health/v1/health.proto"}},
				{"grpc.reflection.v1.ServerReflection", []string{"grpc/reflection/v1/reflection.proto"}},
			} {
				s := v.open(t, ctx, cc)
				wantFiles(t, tc.symbol, s.query(t, bySymbol(tc.symbol)), tc.want...)
				s.closeAndCheck(t)
			}

			s = v.open(t, ctx, cc)
			wantFiles(t, "extension on a fresh stream", s.query(t, byExtension("grpc.reflection.testing.Item", 101)), extFile, baseFile, tsFile)
			wantNotFound(t, "unknown file", s.query(t, byFile("no/such.proto")))
			wantNotFound(t, "unknown symbol", s.query(t, bySymbol("grpc.reflection.testing.Nope")))
			wantNotFound(t, "unknown extension number", s.query(t, byExtension("grpc.reflection.testing.Item", 199)))
			wantNotFound(t, "extension of unknown type", s.query(t, byExtension("no.Such", 101)))
			s.closeAndCheck(t)
		})
	}
}

func TestExtensionNumbers(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, fullServer)
	defer stop()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := v.open(t, testContext(t), cc)
			resp := s.query(t, extNumbers("grpc.reflection.testing.Item"))
			en := resp.GetAllExtensionNumbersResponse()
			if en.GetBaseTypeName() != "grpc.reflection.testing.Item" || !slices.Equal(en.GetExtensionNumber(), []int32{101, 120, 150}) {
				t.Errorf("Item: got %v, want base type and numbers [101 120 150]", resp.GetMessageResponse())
			}
			resp = s.query(t, extNumbers("grpc.reflection.testing.Plain"))
			if en := resp.GetAllExtensionNumbersResponse(); en == nil || len(en.GetExtensionNumber()) != 0 {
				t.Errorf("Plain: got %v, want an empty extension number list", resp.GetMessageResponse())
			}
			wantNotFound(t, "unknown type", s.query(t, extNumbers("no.Such")))
			s.closeAndCheck(t)
		})
	}
}

func TestRequestWithoutQueryEndsStream(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, fullServer)
	defer stop()
	ctx := testContext(t)

	s1, err := v1pb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Send(&v1pb.ServerReflectionRequest{Host: "h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("v1: Recv error %v, want InvalidArgument", err)
	}

	s2, err := v1alphapb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Send(&v1alphapb.ServerReflectionRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("v1alpha: Recv error %v, want InvalidArgument", err)
	}
}

func TestRegisterV1Only(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, func(s *grpc.Server) {
		testpb.RegisterCatalogServer(s, catalog{})
		reflection.RegisterV1(s)
	})
	defer stop()
	ctx := testContext(t)
	s := versions[0].open(t, ctx, cc)
	want := []string{"grpc.reflection.testing.Catalog", "grpc.reflection.v1.ServerReflection"}
	if got := serviceNames(t, s.query(t, listServices())); !slices.Equal(got, want) {
		t.Errorf("services %q, want %q", got, want)
	}
	s.closeAndCheck(t)

	as, err := v1alphapb.NewServerReflectionClient(cc).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := as.Recv(); status.Code(err) != codes.Unimplemented {
		t.Errorf("v1alpha on a v1-only server: %v, want Unimplemented", err)
	}
}

// fixedServices advertises a chosen set of names.
type fixedServices []string

func (f fixedServices) GetServiceInfo() map[string]grpc.ServiceInfo {
	m := make(map[string]grpc.ServiceInfo)
	for _, n := range f {
		m[n] = grpc.ServiceInfo{}
	}
	return m
}

// oneExtension resolves only the priority extension of Item.
type oneExtension struct{}

func (oneExtension) FindExtensionByName(protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return testpb.E_Priority, nil
}

func (oneExtension) FindExtensionByNumber(msg protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if msg == "grpc.reflection.testing.Item" && n == 150 {
		return testpb.E_Priority, nil
	}
	return nil, protoregistry.NotFound
}

func (oneExtension) RangeExtensionsByMessage(msg protoreflect.FullName, f func(protoreflect.ExtensionType) bool) {
	if msg == "grpc.reflection.testing.Item" {
		f(testpb.E_Priority)
	}
}

func TestCustomOptions(t *testing.T) {
	defer leakcheck.Check(t)
	// Only base.proto (and what it imports) is resolvable.
	files := new(protoregistry.Files)
	if err := files.RegisterFile(timestamppb.File_google_protobuf_timestamp_proto); err != nil {
		t.Fatal(err)
	}
	if err := files.RegisterFile(testpb.File_reflection_internal_testpb_base_proto); err != nil {
		t.Fatal(err)
	}
	opts := reflection.ServerOptions{
		Services:           fixedServices{"b.Svc", "a.Svc"},
		DescriptorResolver: files,
		ExtensionResolver:  oneExtension{},
	}
	cc, stop := serve(t, func(s *grpc.Server) {
		v1pb.RegisterServerReflectionServer(s, reflection.NewServerV1(opts))
		v1alphapb.RegisterServerReflectionServer(s, reflection.NewServer(opts))
	})
	defer stop()
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := v.open(t, testContext(t), cc)
			if got := serviceNames(t, s.query(t, listServices())); !slices.Equal(got, []string{"a.Svc", "b.Svc"}) {
				t.Errorf("services %q, want [a.Svc b.Svc]", got)
			}
			wantFiles(t, "resolvable file", s.query(t, byFile(baseFile)), baseFile, tsFile)
			wantNotFound(t, "file outside the resolver", s.query(t, byFile(serviceFile)))
			wantNotFound(t, "symbol outside the resolver", s.query(t, bySymbol("grpc.reflection.testing.Catalog")))
			wantNotFound(t, "extension outside the resolver", s.query(t, byExtension("grpc.reflection.testing.Item", 101)))
			wantFiles(t, "extension from the resolver", s.query(t, byExtension("grpc.reflection.testing.Item", 150)), extFile)
			resp := s.query(t, extNumbers("grpc.reflection.testing.Item"))
			if got := resp.GetAllExtensionNumbersResponse().GetExtensionNumber(); !slices.Equal(got, []int32{150}) {
				t.Errorf("extension numbers %v, want [150]", got)
			}
			s.closeAndCheck(t)
		})
	}
}

func TestNoServicesProvider(t *testing.T) {
	defer leakcheck.Check(t)
	cc, stop := serve(t, func(s *grpc.Server) {
		v1pb.RegisterServerReflectionServer(s, reflection.NewServerV1(reflection.ServerOptions{}))
	})
	defer stop()
	s := versions[0].open(t, testContext(t), cc)
	if got := serviceNames(t, s.query(t, listServices())); len(got) != 0 {
		t.Errorf("services %q, want none", got)
	}
	s.closeAndCheck(t)
}
