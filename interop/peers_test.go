package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// peerDir holds the grpc-go binaries TestMain builds: "client" and "server"
// (grpc-go's own interop programs) and "extrasclient" and "extrasserver" (our
// extras, linked with grpc-go).
var peerDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "grpcgo-peers")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	peerDir = dir
	code := 1
	if err := buildPeers(dir); err != nil {
		fmt.Fprintln(os.Stderr, "interop: building the grpc-go peers failed:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildPeers builds the grpc-go programs from the grpcgo module; the go build
// cache makes later runs quick.
func buildPeers(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"google.golang.org/grpc/interop/client",
		"google.golang.org/grpc/interop/server",
		"./extrasclient", "./extrasserver")
	cmd.Dir = "grpcgo"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func peerBin(name string) string { return filepath.Join(peerDir, name) }

// freePort returns a loopback port that was free a moment ago, for a peer
// server that must be told its port on the command line.
func freePort(t *testing.T) int {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer lis.Close()
	return lis.Addr().(*net.TCPAddr).Port
}

// startPeerServer runs a grpc-go server binary on a free port with the
// extra flags args, waits until it accepts connections, and kills it when
// the test ends.
func startPeerServer(t *testing.T, name string, args ...string) int {
	t.Helper()
	port := freePort(t)
	var out bytes.Buffer
	cmd := exec.Command(peerBin(name), append([]string{"--port=" + strconv.Itoa(port)}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	if err := waitListening(port, exited); err != nil {
		cmd.Process.Kill()
		t.Fatalf("grpc-go %s on port %d never became ready: %v\n%s", name, port, err, out.String())
	}
	return port
}

// waitListening polls the port until it accepts a TCP connection, the
// process exits, or 30 seconds pass.
func waitListening(port int, exited <-chan error) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the process exited: %v", err)
		case <-deadline:
			return fmt.Errorf("timed out")
		case <-tick.C:
		}
	}
}

// runPeerClient runs one test case with a grpc-go client binary (and the
// extra flags args) against 127.0.0.1:port and fails the test with the
// client's output if it fails.
func runPeerClient(t *testing.T, name string, port int, testCase string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, peerBin(name), append([]string{
		"--server_host=127.0.0.1",
		"--server_port=" + strconv.Itoa(port),
		"--test_case=" + testCase}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("grpc-go %s --test_case=%s against port %d failed: %v\n%s", name, testCase, port, err, out)
	}
}
