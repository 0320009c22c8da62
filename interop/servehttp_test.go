package interop

import (
	"errors"
	"net"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// startOurHTTPServer serves NewTestServer through grpc.Server.ServeHTTP,
// behind net/http's cleartext HTTP/2 (h2c) server, until the test ends.
func startOurHTTPServer(t *testing.T, extras bool) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var opts []grpc.ServerOption
	if extras {
		opts = append(opts, grpc.MaxRecvMsgSize(ExtrasMaxMsgSize))
	}
	s := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(s, NewTestServer(ServerOptions{StatusDetails: extras}))
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: s, Protocols: &protos}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(lis) }()
	t.Cleanup(func() {
		hs.Close()
		s.Stop()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http.Server.Serve: %v", err)
		}
	})
	return lis.Addr().(*net.TCPAddr).Port
}

// TestGRPCGoClientOurServeHTTP: grpc-go's clients against our server,
// reached through net/http and ServeHTTP instead of our own transport.
func TestGRPCGoClientOurServeHTTP(t *testing.T) {
	checkLeaks(t)
	s := servers{std: startOurHTTPServer(t, false), extras: startOurHTTPServer(t, true)}
	runPeerClientCases(t, s, plaintext, allCases())
}

// TestOurClientOurServeHTTP: our client against our server behind
// net/http and ServeHTTP. concurrent_unary checks that the client keeps to
// net/http's MAX_CONCURRENT_STREAMS (250), which it learns before the
// connection is READY.
func TestOurClientOurServeHTTP(t *testing.T) {
	checkLeaks(t)
	s := servers{std: startOurHTTPServer(t, false), extras: startOurHTTPServer(t, true)}
	runOurClientCases(t, s, plaintext, allCases())
}
