package reflection

import (
	"io"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	v1pb "google.golang.org/grpc/reflection/grpc_reflection_v1"
)

// server implements the v1 protocol; v1alpha is served by translating to it.
type server struct {
	services ServiceInfoProvider
	files    protodesc.Resolver
	exts     ExtensionResolver
}

// ServerReflectionInfo answers each request of the stream in order until the
// client half-closes.
func (s *server) ServerReflectionInfo(stream grpc.BidiStreamingServer[v1pb.ServerReflectionRequest, v1pb.ServerReflectionResponse]) error {
	// Clients cache the files they receive, so each dependency is sent at
	// most once per stream; the file that was asked for is always sent.
	sent := make(map[string]bool)
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := s.answer(req, sent)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// answer builds the response to one request. Lookup failures become an
// ErrorResponse with NotFound on the stream; only a request with no query
// at all ends the stream, with InvalidArgument.
func (s *server) answer(req *v1pb.ServerReflectionRequest, sent map[string]bool) (*v1pb.ServerReflectionResponse, error) {
	resp := &v1pb.ServerReflectionResponse{ValidHost: req.GetHost(), OriginalRequest: req}
	var files [][]byte
	var err error
	switch q := req.GetMessageRequest().(type) {
	case *v1pb.ServerReflectionRequest_FileByFilename:
		var fd protoreflect.FileDescriptor
		if fd, err = s.files.FindFileByPath(q.FileByFilename); err == nil {
			files, err = encodeWithDeps(fd, sent)
		}
	case *v1pb.ServerReflectionRequest_FileContainingSymbol:
		var d protoreflect.Descriptor
		if d, err = s.files.FindDescriptorByName(protoreflect.FullName(q.FileContainingSymbol)); err == nil {
			files, err = encodeWithDeps(d.ParentFile(), sent)
		}
	case *v1pb.ServerReflectionRequest_FileContainingExtension:
		ext := q.FileContainingExtension
		var xt protoreflect.ExtensionType
		xt, err = s.exts.FindExtensionByNumber(protoreflect.FullName(ext.GetContainingType()), protoreflect.FieldNumber(ext.GetExtensionNumber()))
		if err == nil {
			files, err = encodeWithDeps(xt.TypeDescriptor().ParentFile(), sent)
		}
	case *v1pb.ServerReflectionRequest_AllExtensionNumbersOfType:
		var nums []int32
		if nums, err = s.extensionNumbers(q.AllExtensionNumbersOfType); err == nil {
			resp.MessageResponse = &v1pb.ServerReflectionResponse_AllExtensionNumbersResponse{
				AllExtensionNumbersResponse: &v1pb.ExtensionNumberResponse{
					BaseTypeName:    q.AllExtensionNumbersOfType,
					ExtensionNumber: nums,
				},
			}
		}
	case *v1pb.ServerReflectionRequest_ListServices:
		resp.MessageResponse = &v1pb.ServerReflectionResponse_ListServicesResponse{
			ListServicesResponse: &v1pb.ListServiceResponse{Service: s.listServices()},
		}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "invalid MessageRequest: %v", req.GetMessageRequest())
	}
	switch {
	case err != nil:
		resp.MessageResponse = &v1pb.ServerReflectionResponse_ErrorResponse{
			ErrorResponse: &v1pb.ErrorResponse{ErrorCode: int32(codes.NotFound), ErrorMessage: err.Error()},
		}
	case files != nil:
		resp.MessageResponse = &v1pb.ServerReflectionResponse_FileDescriptorResponse{
			FileDescriptorResponse: &v1pb.FileDescriptorResponse{FileDescriptorProto: files},
		}
	}
	return resp, nil
}

// encodeWithDeps serializes fd followed, breadth first, by those of its
// transitive imports that this stream has not carried yet. Imports the
// resolver only knows by name (placeholders) are skipped, since there is
// nothing to send for them; a placeholder as the requested file counts as
// not found.
func encodeWithDeps(fd protoreflect.FileDescriptor, sent map[string]bool) ([][]byte, error) {
	if fd.IsPlaceholder() {
		return nil, protoregistry.NotFound
	}
	var out [][]byte
	queue := []protoreflect.FileDescriptor{fd}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		if f.IsPlaceholder() {
			continue
		}
		if len(out) > 0 && sent[f.Path()] {
			// Already delivered; its imports were queued back then too.
			continue
		}
		sent[f.Path()] = true
		b, err := proto.Marshal(protodesc.ToFileDescriptorProto(f))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		imports := f.Imports()
		for i := range imports.Len() {
			queue = append(queue, imports.Get(i).FileDescriptor)
		}
	}
	return out, nil
}

// extensionNumbers lists, in increasing order, the extension numbers known
// for the named message. An unknown message is an error, while a known one
// without extensions yields an empty list.
func (s *server) extensionNumbers(name string) ([]int32, error) {
	var nums []int32
	s.exts.RangeExtensionsByMessage(protoreflect.FullName(name), func(xt protoreflect.ExtensionType) bool {
		nums = append(nums, int32(xt.TypeDescriptor().Number()))
		return true
	})
	if len(nums) == 0 {
		if _, err := s.files.FindDescriptorByName(protoreflect.FullName(name)); err != nil {
			return nil, err
		}
	}
	slices.Sort(nums)
	return nums, nil
}

// listServices returns the advertised services sorted by name.
func (s *server) listServices() []*v1pb.ServiceResponse {
	if s.services == nil {
		return []*v1pb.ServiceResponse{}
	}
	names := make([]string, 0, 8)
	for name := range s.services.GetServiceInfo() {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]*v1pb.ServiceResponse, len(names))
	for i, n := range names {
		out[i] = &v1pb.ServiceResponse{Name: n}
	}
	return out
}
