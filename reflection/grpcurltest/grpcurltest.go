// Package grpcurltest checks server reflection end to end with a real
// third-party client: grpcurl, compiled against this repository's gRPC module
// (the replace directive in go.mod makes every google.golang.org/grpc import
// of grpcurl and its dependencies resolve to our code, including the
// reflection client stubs in reflection/grpc_reflection_v1 and v1alpha).
//
// BuildGrpcurl compiles grpcurl, NewServer builds the server it is pointed at,
// cmd/buildgrpcurl and cmd/server expose both to scripts/grpcurl.sh, and the
// tests in this package run the same checks from go test.
//
// It is a separate module so that the main module does not depend on grpcurl.
// After the main module's requirements change, refresh go.sum with
// "go mod tidy -e": -e is needed because grpcurl imports the ALTS and xDS
// packages that only exist here as build-time stand-ins (see stubs).
package grpcurltest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/reflection/internal/testpb"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	v1alphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// GrpcurlPackage is the command built by BuildGrpcurl; its version is pinned
// by this module's go.mod (as a tool dependency).
const GrpcurlPackage = "github.com/fullstorydev/grpcurl/cmd/grpcurl"

// stubs maps packages that grpcurl's command imports but that our module does
// not provide (ALTS and xDS) to stand-ins in stubs/. They are spliced into the
// module with go build -overlay, only while a package is really missing, so
// a real implementation added later takes precedence.
var stubs = map[string]string{
	"credentials/alts": "stubs/alts/alts.go",
	"credentials/xds":  "stubs/xdscreds/xds.go",
	"xds":              "stubs/xds/xds.go",
}

// moduleDir returns the directory of this nested module, found from the
// location of this source file.
func moduleDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the grpcurltest sources")
	}
	return filepath.Dir(file), nil
}

// BuildGrpcurl compiles grpcurl into the file out, against the gRPC module
// that go.mod's replace directive points at.
func BuildGrpcurl(ctx context.Context, out string) error {
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	grpcDir, err := goOutput(ctx, dir, "list", "-m", "-f", "{{.Dir}}", "google.golang.org/grpc")
	if err != nil {
		return err
	}
	replace := map[string]string{}
	for pkg, stub := range stubs {
		target := filepath.Join(grpcDir, filepath.FromSlash(pkg))
		if _, err := os.Stat(target); err == nil {
			continue
		}
		replace[filepath.Join(target, filepath.Base(stub))] = filepath.Join(dir, filepath.FromSlash(stub))
	}
	b, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return err
	}
	overlay, err := os.CreateTemp("", "grpcurl-overlay-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(overlay.Name())
	if _, err := overlay.Write(b); err != nil {
		overlay.Close()
		return err
	}
	if err := overlay.Close(); err != nil {
		return err
	}
	_, err = goOutput(ctx, dir, "build", "-overlay", overlay.Name(), "-o", out, GrpcurlPackage)
	return err
}

func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// Created is the creation time the catalog reports for every item, fixed so
// that outputs can be compared exactly.
var Created = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// catalog answers Lookup with an item named after the request; the name
// "missing" yields NotFound. Every item carries the owner extension, which a
// client can only print after fetching ext.proto by extension number.
type catalog struct{}

func (catalog) Lookup(_ context.Context, req *testpb.LookupRequest) (*testpb.Item, error) {
	if req.GetName() == "missing" {
		return nil, status.Error(codes.NotFound, "no item named missing")
	}
	item := &testpb.Item{Name: proto.String("item:" + req.GetName()), Created: timestamppb.New(Created)}
	proto.SetExtension(item, testpb.E_Owner, "team-"+req.GetName())
	return item, nil
}

func (catalog) Watch(stream grpc.BidiStreamingServer[testpb.LookupRequest, testpb.Item]) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		item, err := catalog{}.Lookup(stream.Context(), req)
		if err != nil {
			return err
		}
		if err := stream.Send(item); err != nil {
			return err
		}
	}
}

// NewServer returns a server with the catalog service, health checking and
// reflection. With v1alphaOnly, reflection is offered only under the old
// v1alpha name, so that clients must fall back to it.
func NewServer(v1alphaOnly bool) *grpc.Server {
	s := grpc.NewServer()
	testpb.RegisterCatalogServer(s, catalog{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	if v1alphaOnly {
		v1alphapb.RegisterServerReflectionServer(s, reflection.NewServer(reflection.ServerOptions{Services: s}))
	} else {
		reflection.Register(s)
	}
	return s
}
