package interop

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// security is how a test secures its connections.
type security int

const (
	plaintext security = iota
	// serverTLS: the server proves its identity; the client presents none.
	serverTLS
	// mutualTLS: both sides present certificates. grpc-go's interop
	// binaries cannot, so on the grpc-go side only the extras programs run.
	mutualTLS
)

// The test PKI of the main module (testdata/x509, made by its gen.go): the
// server certificate is valid for the loopback addresses and
// *.test.example.com, and the two CAs are distinct.
const (
	serverCN = "test-server"
	clientCN = "test-client"
	// hostOverride is the server name TLS clients check (and send as
	// :authority) while dialing 127.0.0.1.
	hostOverride = "foo.test.example.com"
)

// certPath is the absolute path of a test PKI file, for the peer binaries
// that run in another directory.
func certPath(name string) string {
	p, err := filepath.Abs(filepath.Join("..", "testdata", "x509", name))
	if err != nil {
		panic(err)
	}
	return p
}

// mtlsCases are the cases of the mutual TLS runs: a mix of unary and
// streaming, small and large, that the grpc-go extras client also runs.
var mtlsCases = []string{
	"empty_unary", "large_unary", "client_streaming", "server_streaming",
	"ping_pong", "custom_metadata", "client_compressed_unary",
	"server_compressed_unary", "large_message", "concurrent_bidi", "status_details",
}

// ourServerOptions returns the options of our in-process server: its
// credentials and, over TLS, interceptors that refuse RPCs whose peer is not
// what the handshake should have established.
func (sec security) ourServerOptions(t *testing.T) []grpc.ServerOption {
	t.Helper()
	if sec == plaintext {
		return nil
	}
	clientCA := ""
	if sec == mutualTLS {
		clientCA = certPath("client_ca_cert.pem")
	}
	creds, err := ServerCredentials(certPath("server_cert.pem"), certPath("server_key.pem"), clientCA)
	if err != nil {
		t.Fatal(err)
	}
	return []grpc.ServerOption{
		grpc.Creds(creds),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := sec.checkClientPeer(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := sec.checkClientPeer(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

// checkClientPeer requires the RPC's peer to carry a TLSInfo, with the
// client's certificate under mutual TLS and none otherwise.
func (sec security) checkClientPeer(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return status.Error(codes.Internal, "no peer in the server context")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return status.Errorf(codes.Internal, "server-side peer AuthInfo is %T, want credentials.TLSInfo", p.AuthInfo)
	}
	certs := info.State.PeerCertificates
	if sec == mutualTLS && (len(certs) == 0 || certs[0].Subject.CommonName != clientCN) {
		return status.Errorf(codes.Internal, "server-side peer lacks the client certificate %q", clientCN)
	}
	if sec == serverTLS && len(certs) != 0 {
		return status.Error(codes.Internal, "server-side peer has a client certificate the client never sent")
	}
	return nil
}

// ourDialOptions returns the options of our in-process client: its
// credentials and, over TLS, an interceptor that checks that each
// successful unary call reports the server's certificate in its Peer.
func (sec security) ourDialOptions(t *testing.T) []grpc.DialOption {
	t.Helper()
	if sec == plaintext {
		return []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	// Under TLS the client checks the server against the override name;
	// under mutual TLS against the address it dials.
	override, cert, key := hostOverride, "", ""
	if sec == mutualTLS {
		override, cert, key = "", certPath("client_cert.pem"), certPath("client_key.pem")
	}
	creds, err := ClientCredentials(certPath("server_ca_cert.pem"), override, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithChainUnaryInterceptor(checkServerPeer),
	}
}

func checkServerPeer(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	if err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...); err != nil {
		return err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return status.Errorf(codes.Internal, "%s: client-side peer AuthInfo is %T, want credentials.TLSInfo", method, p.AuthInfo)
	}
	if certs := info.State.PeerCertificates; len(certs) == 0 || certs[0].Subject.CommonName != serverCN {
		return status.Errorf(codes.Internal, "%s: client-side peer lacks the server certificate %q", method, serverCN)
	}
	return nil
}

// peerServerArgs are the flags of a grpc-go server binary for sec. Its own
// interop server takes grpc-go's TLS flags; the extras server also does
// mutual TLS and checks the client's peer like ours.
func (sec security) peerServerArgs(name string) []string {
	if sec == plaintext {
		return nil
	}
	args := []string{
		"--use_tls",
		"--tls_cert_file=" + certPath("server_cert.pem"),
		"--tls_key_file=" + certPath("server_key.pem"),
	}
	if sec == mutualTLS && name == "extrasserver" {
		args = append(args, "--client_ca_file="+certPath("client_ca_cert.pem"), "--want_client_cn="+clientCN)
	}
	return args
}

// peerClientArgs are the flags of a grpc-go client binary for sec.
func (sec security) peerClientArgs(name string) []string {
	switch {
	case sec == plaintext:
		return nil
	case name == "client":
		return []string{"--use_tls", "--use_test_ca", "--ca_file=" + certPath("server_ca_cert.pem"), "--server_host_override=" + hostOverride}
	case sec == serverTLS:
		return []string{"--use_tls", "--ca_file=" + certPath("server_ca_cert.pem"), "--server_host_override=" + hostOverride, "--want_server_cn=" + serverCN}
	default:
		return []string{
			"--use_tls", "--ca_file=" + certPath("server_ca_cert.pem"), "--want_server_cn=" + serverCN,
			"--client_cert_file=" + certPath("client_cert.pem"), "--client_key_file=" + certPath("client_key.pem"),
		}
	}
}

// oneServer is a servers value whose cases all go to one server: the mutual
// TLS runs use only the extras server.
func oneServer(port int) servers { return servers{std: port, extras: port} }

// TestControlGRPCGoToGRPCGoMTLS checks the mutual TLS harness (flags, test
// PKI) with grpc-go on both sides.
func TestControlGRPCGoToGRPCGoMTLS(t *testing.T) {
	port := startPeerServer(t, "extrasserver", mutualTLS.peerServerArgs("extrasserver")...)
	runPeerClientCases(t, oneServer(port), mutualTLS, mtlsCases)
}

// TestGRPCGoClientOurServerTLS: grpc-go's clients against our servers over
// TLS, every case.
func TestGRPCGoClientOurServerTLS(t *testing.T) {
	checkLeaks(t)
	runPeerClientCases(t, startOurServers(t, serverTLS), serverTLS, allCases())
}

// TestOurClientGRPCGoServerTLS: our client against grpc-go's servers over
// TLS, every case.
func TestOurClientGRPCGoServerTLS(t *testing.T) {
	checkLeaks(t)
	runOurClientCases(t, startPeerServers(t, serverTLS), serverTLS, allCases())
}

// TestGRPCGoClientOurServerMTLS: grpc-go's extras client, with a client
// certificate, against our server demanding one.
func TestGRPCGoClientOurServerMTLS(t *testing.T) {
	checkLeaks(t)
	port := startOurServer(t, true, mutualTLS)
	runPeerClientCases(t, oneServer(port), mutualTLS, mtlsCases)

	t.Run("client_without_certificate", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, peerBin("extrasclient"),
			"--server_host=127.0.0.1", "--server_port="+strconv.Itoa(port), "--test_case=large_unary",
			"--use_tls", "--ca_file="+certPath("server_ca_cert.pem"))
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("grpc-go client without a certificate succeeded against our mTLS server:\n%s", out)
		}
		t.Logf("refused as expected:\n%s", out)
	})
}

// TestOurClientGRPCGoServerMTLS: our client, with a client certificate,
// against grpc-go's extras server demanding one.
func TestOurClientGRPCGoServerMTLS(t *testing.T) {
	checkLeaks(t)
	port := startPeerServer(t, "extrasserver", mutualTLS.peerServerArgs("extrasserver")...)
	runOurClientCases(t, oneServer(port), mutualTLS, mtlsCases)

	t.Run("client_without_certificate", func(t *testing.T) {
		creds, err := ClientCredentials(certPath("server_ca_cert.pem"), "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		cc, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = testpb.NewTestServiceClient(cc).EmptyCall(ctx, &testpb.Empty{})
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("our client without a certificate against grpc-go's mTLS server: %v, want code Unavailable", err)
		}
		t.Logf("refused as expected: %v", err)
	})
}

// TestOurClientOurServerMTLS: both sides ours over mutual TLS, in one
// process for the race detector.
func TestOurClientOurServerMTLS(t *testing.T) {
	checkLeaks(t)
	runOurClientCases(t, oneServer(startOurServer(t, true, mutualTLS)), mutualTLS, mtlsCases)
}
