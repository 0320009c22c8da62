package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// dial opens one client connection with default options.
func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// loadStats is what a load run measured: operations completed wholly inside
// the measured window and, if asked for, their latencies.
type loadStats struct {
	ops     int
	seconds float64
	lat     []time.Duration
}

// runLoad runs op in a loop on each of workers goroutines. setup prepares a
// worker (for example opens its stream) and returns its op. Only operations
// that start and finish inside [warmup, warmup+duration) are counted, so slow
// starts and the stragglers at the end do not skew the rate.
func runLoad(c config, workers int, record bool, setup func(w int) (op func() error, err error)) (loadStats, error) {
	ops := make([]func() error, workers)
	for w := range ops {
		op, err := setup(w)
		if err != nil {
			return loadStats{}, err
		}
		ops[w] = op
	}
	begin := time.Now().Add(c.warmup)
	end := begin.Add(c.duration)
	var (
		mu       sync.Mutex
		total    loadStats
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				n   int
				lat []time.Duration
				err error
			)
			if record {
				lat = make([]time.Duration, 0, 1024)
			}
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				if err = ops[w](); err != nil {
					break
				}
				t1 := time.Now()
				if !t0.Before(begin) && t1.Before(end) {
					n++
					if record {
						lat = append(lat, t1.Sub(t0))
					}
				}
			}
			mu.Lock()
			total.ops += n
			total.lat = append(total.lat, lat...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total.seconds = c.duration.Seconds()
	return total, firstErr
}

// percentile returns the q-quantile (0..1) of lat in microseconds; lat is
// sorted in place.
func percentile(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	i := int(q * float64(len(lat)-1))
	return float64(lat[i]) / float64(time.Microsecond)
}

// runUnary drives concurrency callers of Unary over ONE connection.
func runUnary(c config) (map[string]float64, error) {
	cc, err := dial(c.addr)
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	client := NewBenchClient(cc)
	st, err := runLoad(c, c.concurrency, true, func(int) (func() error, error) {
		req := &Payload{Body: make([]byte, c.size)}
		return func() error {
			_, err := client.Unary(context.Background(), req)
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	qps := float64(st.ops) / st.seconds
	return map[string]float64{
		"qps":    qps,
		"p50_us": percentile(st.lat, 0.50),
		"p99_us": percentile(st.lat, 0.99),
		// Payload bytes moved per second, request plus response.
		"mbps": qps * 2 * float64(c.size) / 1e6,
	}, nil
}

// runStream receives c.size-byte messages from one server stream.
func runStream(c config) (map[string]float64, error) {
	cc, err := dial(c.addr)
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := runLoad(c, 1, false, func(int) (func() error, error) {
		stream, err := NewBenchClient(cc).ServerStream(ctx, &StreamRequest{Size: int32(c.size)})
		if err != nil {
			return nil, err
		}
		return func() error {
			_, err := stream.Recv()
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	rate := float64(st.ops) / st.seconds
	return map[string]float64{"msgs_per_sec": rate, "mbps": rate * float64(c.size) / 1e6}, nil
}

// runPingPong sends one message and waits for its echo, over one bidi stream.
func runPingPong(c config) (map[string]float64, error) {
	cc, err := dial(c.addr)
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stream grpc.BidiStreamingClient[Payload, Payload]
	st, err := runLoad(c, 1, true, func(int) (func() error, error) {
		stream, err = NewBenchClient(cc).PingPong(ctx)
		if err != nil {
			return nil, err
		}
		req := &Payload{Body: make([]byte, c.size)}
		return func() error {
			if err := stream.Send(req); err != nil {
				return err
			}
			_, err := stream.Recv()
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	if _, err := stream.Recv(); err != io.EOF {
		return nil, fmt.Errorf("pingpong: ending the stream: %v", err)
	}
	return map[string]float64{
		"rtt_per_sec": float64(st.ops) / st.seconds,
		"p50_us":      percentile(st.lat, 0.50),
		"p99_us":      percentile(st.lat, 0.99),
	}, nil
}
