package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"
)

// settings are the knobs shared by every run.
type settings struct {
	duration  time.Duration
	warmup    time.Duration
	allocsN   int
	idleConns int
}

// job is one workload run. server names the server mode started first in its
// own process ("" = none); the client's address flag is filled in from it.
type job struct {
	key    string
	server string
	args   []string
	idle   bool // the idle-connections memory procedure instead of a client run
}

// result is the JSON a workload printed, field -> value.
type result map[string]float64

// proc is a running workload process whose stdout is read line by line.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	stderr *bytes.Buffer
}

func start(ctx context.Context, bin string, args ...string) (*proc, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	p := &proc{cmd: cmd, lines: make(chan []byte, 16), stderr: new(bytes.Buffer)}
	cmd.Stderr = p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- bytes.Clone(sc.Bytes())
		}
		close(p.lines)
	}()
	return p, nil
}

// readJSON waits up to timeout for the next stdout line and decodes it.
func (p *proc) readJSON(timeout time.Duration, v any) error {
	select {
	case line, ok := <-p.lines:
		if !ok {
			return fmt.Errorf("%s exited: %s", p.cmd.Path, p.stderr.Bytes())
		}
		if err := json.Unmarshal(line, v); err != nil {
			return fmt.Errorf("bad output %q: %v", line, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("no output from %s within %v", p.cmd.Path, timeout)
	}
}

// send writes one command line to the process's stdin.
func (p *proc) send(cmd string) error {
	_, err := io.WriteString(p.stdin, cmd+"\n")
	return err
}

// stop closes stdin, which tells a workload server or idle client to exit,
// and waits for it; CommandContext kills it if that takes too long.
func (p *proc) stop() {
	p.stdin.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// startServer starts a workload server and returns it with its address.
func startServer(ctx context.Context, bin, mode string) (*proc, string, error) {
	p, err := start(ctx, bin, "-mode", mode)
	if err != nil {
		return nil, "", err
	}
	var hello struct{ Addr string }
	if err := p.readJSON(30*time.Second, &hello); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, hello.Addr, nil
}

// runJob runs j once with the given implementation's binary. Every process
// lives under a context bounded by the expected run time plus slack.
func runJob(im impl, j job, s settings) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.warmup+s.duration+2*time.Minute)
	defer cancel()
	if j.idle {
		return runIdle(ctx, im, s)
	}
	args := append([]string{}, j.args...)
	args = append(args,
		"-duration", s.duration.String(),
		"-warmup", s.warmup.String(),
		"-n", strconv.Itoa(s.allocsN))
	if j.server != "" {
		srv, addr, err := startServer(ctx, im.bin, j.server)
		if err != nil {
			return nil, err
		}
		defer srv.stop()
		args = append(args, "-addr", addr)
	}
	cmd := exec.CommandContext(ctx, im.bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %v: %s", im.name, args, err, stderr.Bytes())
	}
	var r result
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return nil, fmt.Errorf("%s %v: bad output %q: %v", im.name, args, out, err)
	}
	return r, nil
}

// runIdle measures what the server holds for s.idleConns idle connections: a
// memory snapshot of the server process before and after a separate client
// process opened the connections and made one RPC on each.
func runIdle(ctx context.Context, im impl, s settings) (result, error) {
	srv, addr, err := startServer(ctx, im.bin, "server")
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	var before, after result
	if err := srv.send("mem"); err != nil {
		return nil, err
	}
	if err := srv.readJSON(30*time.Second, &before); err != nil {
		return nil, err
	}
	clients, err := start(ctx, im.bin, "-mode", "idleclients", "-addr", addr, "-n", strconv.Itoa(s.idleConns))
	if err != nil {
		return nil, err
	}
	defer clients.stop()
	var ready struct{ Ready int }
	if err := clients.readJSON(2*time.Minute, &ready); err != nil {
		return nil, err
	}
	// Let the server finish any post-RPC work before the snapshot.
	time.Sleep(500 * time.Millisecond)
	if err := srv.send("mem"); err != nil {
		return nil, err
	}
	if err := srv.readJSON(30*time.Second, &after); err != nil {
		return nil, err
	}
	n := float64(s.idleConns)
	return result{
		"heap_mb":             (after["heap_inuse"] - before["heap_inuse"]) / 1e6,
		"stack_mb":            (after["stack_inuse"] - before["stack_inuse"]) / 1e6,
		"rss_mb":              (after["rss"] - before["rss"]) / 1e6,
		"kb_per_conn":         (after["heap_inuse"] + after["stack_inuse"] - before["heap_inuse"] - before["stack_inuse"]) / n / 1e3,
		"goroutines_per_conn": (after["goroutines"] - before["goroutines"]) / n,
	}, nil
}
