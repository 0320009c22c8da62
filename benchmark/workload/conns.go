package main

import (
	"bufio"
	"context"
	"os"
)

// runConnSetup measures new ClientConn + first RPC + Close, back to back.
func runConnSetup(c config) (map[string]float64, error) {
	req := &Payload{Body: []byte{1}}
	st, err := runLoad(c, 1, true, func(int) (func() error, error) {
		return func() error {
			cc, err := dial(c.addr)
			if err != nil {
				return err
			}
			_, err = NewBenchClient(cc).Unary(context.Background(), req)
			if cerr := cc.Close(); err == nil {
				err = cerr
			}
			return err
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]float64{
		"conns_per_sec": float64(st.ops) / st.seconds,
		"p50_us":        percentile(st.lat, 0.50),
	}, nil
}

// runIdleClients opens c.n connections, makes one RPC on each so that the
// server holds a fully set-up connection, reports {"ready": n} and then keeps
// them open, idle, until stdin closes.
func runIdleClients(c config) error {
	req := &Payload{Body: []byte{1}}
	for range c.n {
		cc, err := dial(c.addr)
		if err != nil {
			return err
		}
		// Deliberately never closed before exit: the connections must stay up.
		if _, err := NewBenchClient(cc).Unary(context.Background(), req); err != nil {
			return err
		}
	}
	emit(map[string]int{"ready": c.n})
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
	}
	return nil
}
