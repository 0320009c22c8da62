// Command workload is one side of the side-by-side benchmark. The same source is
// compiled twice by benchmark/cmd/compare: once against this repository and
// once against grpc-go v1.85.0, so every number is produced by identical
// workload code and only the gRPC implementation differs.
//
// Server modes (server, rawserver) print {"addr": "..."} on stdout once they
// listen and then obey commands on stdin: "mem" prints a memory snapshot as one
// JSON line; EOF or "quit" exits. Every other mode is a client or an in-process
// measurement and prints exactly one JSON object of results on stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

type config struct {
	mode        string
	addr        string
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	size        int
	n           int
}

func main() {
	var c config
	flag.StringVar(&c.mode, "mode", "", "server|rawserver|unary|stream|pingpong|allocs|connsetup|idleclients|rawtcp")
	flag.StringVar(&c.addr, "addr", "127.0.0.1:0", "address to listen on (server modes) or to dial (client modes)")
	flag.IntVar(&c.concurrency, "concurrency", 1, "concurrent callers on one connection (unary, rawtcp)")
	flag.DurationVar(&c.duration, "duration", 3*time.Second, "measured time of a load run")
	flag.DurationVar(&c.warmup, "warmup", 500*time.Millisecond, "unmeasured time before a load run")
	flag.IntVar(&c.size, "size", 1, "payload bytes per message (unary, stream, pingpong, rawtcp)")
	flag.IntVar(&c.n, "n", 10000, "RPCs (allocs) or connections (idleclients)")
	flag.Parse()

	var (
		res any
		err error
	)
	stopProfiles := startProfiles(c.mode)
	switch c.mode {
	case "server":
		err = serveGRPC(c.addr)
	case "rawserver":
		err = serveRaw(c.addr)
	case "unary":
		res, err = runUnary(c)
	case "stream":
		res, err = runStream(c)
	case "pingpong":
		res, err = runPingPong(c)
	case "allocs":
		res, err = runAllocs(c)
	case "connsetup":
		res, err = runConnSetup(c)
	case "idleclients":
		err = runIdleClients(c)
	case "rawtcp":
		res, err = runRawTCP(c)
	default:
		err = fmt.Errorf("unknown -mode %q", c.mode)
	}
	stopProfiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	if res != nil {
		emit(res)
	}
}

// emit prints v as one JSON line, the only output the driver parses.
func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}
