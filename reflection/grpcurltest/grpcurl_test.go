package grpcurltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// grpcurlBin is built once, by TestMain, for all tests.
var grpcurlBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "grpcurltest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	grpcurlBin = filepath.Join(dir, "grpcurl")
	if err := BuildGrpcurl(ctx, grpcurlBin); err != nil {
		fmt.Fprintf(os.Stderr, "building grpcurl: %v\n", err)
		return 1
	}
	return m.Run()
}

// start serves NewServer(v1alphaOnly) on a loopback port and returns its
// address; the server stops when the test ends.
func start(t *testing.T, v1alphaOnly bool) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(v1alphaOnly)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}

// run executes "grpcurl -plaintext FLAGS... ADDR ARGS..." (grpcurl wants its
// verb and symbol after the address) and returns its standard output,
// standard error and exit code.
func run(t *testing.T, addr, stdin string, flags []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append(append(append([]string{"-plaintext"}, flags...), addr), args...)
	cmd := exec.CommandContext(ctx, grpcurlBin, full...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running grpcurl %q: %v", full, err)
	}
	return o.String(), e.String(), code
}

const (
	wantServices = `grpc.health.v1.Health
grpc.reflection.testing.Catalog
grpc.reflection.v1.ServerReflection
grpc.reflection.v1alpha.ServerReflection
`
	wantDescribeCatalog = `grpc.reflection.testing.Catalog is a service:
service Catalog {
  rpc Lookup ( .grpc.reflection.testing.LookupRequest ) returns ( .grpc.reflection.testing.Item );
  rpc Watch ( stream .grpc.reflection.testing.LookupRequest ) returns ( stream .grpc.reflection.testing.Item );
}
`
	wantDescribeItem = `grpc.reflection.testing.Item is a message:
message Item {
  optional string name = 1;
  optional .google.protobuf.Timestamp created = 2;
  extensions 100 to 199;
}
`
	wantDescribeOwner = `grpc.reflection.testing.owner is an extension:
extend .grpc.reflection.testing.Item {
  optional string owner = 101;
}
`
	wantLookup = `{
  "name": "item:widget",
  "created": "2024-05-06T07:08:09Z",
  "[grpc.reflection.testing.owner]": "team-widget"
}
`
	wantHealth = `{
  "status": "SERVING"
}
`
)

func TestGrpcurl(t *testing.T) {
	addr := start(t, false)
	for _, tc := range []struct {
		name  string
		stdin string
		flags []string
		args  []string
		want  string
	}{
		{"list", "", nil, []string{"list"}, wantServices},
		{"list methods", "", nil, []string{"list", "grpc.reflection.testing.Catalog"},
			"grpc.reflection.testing.Catalog.Lookup\ngrpc.reflection.testing.Catalog.Watch\n"},
		{"describe service", "", nil, []string{"describe", "grpc.reflection.testing.Catalog"}, wantDescribeCatalog},
		{"describe message", "", nil, []string{"describe", "grpc.reflection.testing.Item"}, wantDescribeItem},
		{"describe extension", "", nil, []string{"describe", "grpc.reflection.testing.owner"}, wantDescribeOwner},
		{"unary call", "", []string{"-d", `{"name":"widget"}`}, []string{"grpc.reflection.testing.Catalog/Lookup"}, wantLookup},
		{"bidi call", `{"name":"x"} {"name":"y"}`, []string{"-d", "@"}, []string{"grpc.reflection.testing.Catalog/Watch"},
			strings.ReplaceAll(wantLookup, "widget", "x") + strings.ReplaceAll(wantLookup, "widget", "y")},
		{"health", "", []string{"-d", "{}"}, []string{"grpc.health.v1.Health/Check"}, wantHealth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, addr, tc.stdin, tc.flags, tc.args...)
			if code != 0 || out != tc.want {
				t.Errorf("grpcurl %q %q: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stdout:\n%s", tc.flags, tc.args, code, out, errOut, tc.want)
			}
		})
	}

	t.Run("error status", func(t *testing.T) {
		_, errOut, code := run(t, addr, "", []string{"-d", `{"name":"missing"}`}, "grpc.reflection.testing.Catalog/Lookup")
		// grpcurl exits with 64 plus the status code.
		if code != 64+5 || !strings.Contains(errOut, "Code: NotFound") || !strings.Contains(errOut, "no item named missing") {
			t.Errorf("exit %d, stderr %q; want 69 and the NotFound status", code, errOut)
		}
	})
	t.Run("unknown symbol", func(t *testing.T) {
		_, errOut, code := run(t, addr, "", nil, "describe", "no.such.Thing")
		if code == 0 || !strings.Contains(errOut, "no.such.Thing") {
			t.Errorf("exit %d, stderr %q; want a failure naming the missing symbol", code, errOut)
		}
	})
}

// TestGrpcurlV1Alpha checks grpcurl's fallback to the v1alpha protocol when a
// server does not offer v1.
func TestGrpcurlV1Alpha(t *testing.T) {
	addr := start(t, true)
	out, errOut, code := run(t, addr, "", nil, "list")
	want := "grpc.health.v1.Health\ngrpc.reflection.testing.Catalog\ngrpc.reflection.v1alpha.ServerReflection\n"
	if code != 0 || out != want {
		t.Errorf("list: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
	out, errOut, code = run(t, addr, "", []string{"-d", `{"name":"widget"}`}, "grpc.reflection.testing.Catalog/Lookup")
	if code != 0 || out != wantLookup {
		t.Errorf("call: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, wantLookup)
	}
}

// TestBuiltAgainstOurModule guards the premise of the other tests: the
// grpcurl binary must link this repository's gRPC, not grpc-go.
func TestBuiltAgainstOurModule(t *testing.T) {
	out, err := exec.Command("go", "version", "-m", grpcurlBin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "=>" && f[1] == "../.." {
			return
		}
	}
	t.Errorf("google.golang.org/grpc is not replaced by this repository in the build info:\n%s", out)
}
