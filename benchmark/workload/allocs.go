package main

import (
	"context"
	"net"
	"runtime"
	"time"
)

// runAllocs serves and calls Unary in this one process and reports the heap
// allocations per RPC, client and server together, as grpc-go's own benchmark
// does: runtime.MemStats deltas over c.n sequential RPCs divided by c.n.
func runAllocs(c config) (map[string]float64, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := newServer()
	go s.Serve(lis)
	defer s.Stop()
	cc, err := dial(lis.Addr().String())
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	client := NewBenchClient(cc)
	req := &Payload{Body: make([]byte, c.size)}
	call := func(n int) error {
		for range n {
			if _, err := client.Unary(context.Background(), req); err != nil {
				return err
			}
		}
		return nil
	}
	// Warm up so connection setup and first-use caches are not counted.
	if err := call(1000); err != nil {
		return nil, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := call(c.n); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	n := float64(c.n)
	return map[string]float64{
		"allocs_per_op": float64(after.Mallocs-before.Mallocs) / n,
		"bytes_per_op":  float64(after.TotalAlloc-before.TotalAlloc) / n,
		"ns_per_op":     float64(elapsed.Nanoseconds()) / n,
	}, nil
}
