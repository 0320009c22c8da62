// Package authz provides server interceptors that authorize RPCs against a
// gRPC authorization policy: a JSON document (gRFC A43) of deny and allow
// rules matching the peer's TLS identity, the method path and request
// headers.
//
// A request matching any deny rule is refused; otherwise it is admitted only
// if it matches an allow rule. Refused RPCs fail with PermissionDenied.
//
// A policy may also ask for its decisions to be audited (gRFC A59): its
// "audit_logging_options" name audit loggers, registered with package
// google.golang.org/grpc/authz/audit, and the decisions (denials,
// admissions or both) to give them.
//
// The policy is evaluated directly rather than translated to xDS RBAC
// configuration as grpc-go does.
//
// # Experimental
//
// Notice: this package is experimental; it may change incompatibly or
// disappear in a future release.
package authz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/status"
)

var logger = grpclog.Component("authz")

// errDenied is what a refused RPC fails with. It says nothing about which
// rule matched so as not to tell a caller how the policy is written.
var errDenied = status.Error(codes.PermissionDenied, "authz: unauthorized RPC request rejected")

// StaticInterceptor authorizes RPCs against a policy fixed at creation.
type StaticInterceptor struct {
	policy *policy
}

// NewStatic parses authzPolicy, a JSON authorization policy, and returns
// interceptors enforcing it. It fails if the policy is malformed, for
// example when it has no name or no allow rules, names an unknown field, or
// has a header rule on a pseudo-header, "host", a hop-by-hop header or a
// "grpc-" header. It also fails if the policy requires an audit logger for
// which no builder is registered (optional ones are skipped) or whose
// builder rejects its config; the audit loggers are built here.
func NewStatic(authzPolicy string) (*StaticInterceptor, error) {
	p, err := parsePolicy(authzPolicy)
	if err != nil {
		return nil, err
	}
	return &StaticInterceptor{policy: p}, nil
}

// authorize returns nil when ctx's RPC may proceed, the PermissionDenied
// error when the policy refuses it, and an Internal error when the context
// lacks what a decision needs.
func (i *StaticInterceptor) authorize(ctx context.Context) error {
	r, err := requestFromContext(ctx)
	if err != nil {
		logger.Errorf("Cannot authorize RPC: %v", err)
		return status.Errorf(codes.Internal, "gRPC RBAC: %v", err)
	}
	rule, ok := i.policy.decide(r)
	i.policy.auditDecision(r, rule, ok)
	if ok {
		return nil
	}
	if logger.V(2) {
		if rule != "" {
			logger.Infof("RPC %s rejected by deny rule %q of policy %q", r.method, rule, i.policy.name)
		} else {
			logger.Infof("RPC %s matched no allow rule of policy %q", r.method, i.policy.name)
		}
	}
	return errDenied
}

// UnaryInterceptor is a grpc.UnaryServerInterceptor that calls handler only
// for RPCs the policy allows.
func (i *StaticInterceptor) UnaryInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := i.authorize(ctx); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// StreamInterceptor is a grpc.StreamServerInterceptor that calls handler
// only for RPCs the policy allows.
func (i *StaticInterceptor) StreamInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := i.authorize(ss.Context()); err != nil {
		return err
	}
	return handler(srv, ss)
}

// FileWatcherOptions configures NewFileWatcherWithOptions.
//
// # Experimental
//
// Notice: this API is experimental; it may change incompatibly or disappear
// in a future release.
type FileWatcherOptions struct {
	// PolicyFile is the path of the JSON policy file.
	PolicyFile string
	// RefreshDuration is how long to wait between reads of the file; it
	// must be positive.
	RefreshDuration time.Duration
	// OnPolicyUpdate, if set, is called with the policy's text each time a
	// new version is loaded, including the first. It runs on the watching
	// goroutine and delays the next reload until it returns.
	OnPolicyUpdate func(string)
}

// FileWatcherInterceptor authorizes RPCs against a policy file that it
// rereads periodically. A changed file that fails to parse is logged and
// ignored: the last valid policy stays in force. Each policy loaded gets
// newly built audit loggers.
type FileWatcherInterceptor struct {
	opts    FileWatcherOptions
	current atomic.Pointer[StaticInterceptor]
	last    []byte // file contents behind current; used by the watcher only
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewFileWatcher is NewFileWatcherWithOptions with no update callback.
func NewFileWatcher(file string, duration time.Duration) (*FileWatcherInterceptor, error) {
	return NewFileWatcherWithOptions(FileWatcherOptions{PolicyFile: file, RefreshDuration: duration})
}

// NewFileWatcherWithOptions loads the policy file, failing if it cannot be
// read or parsed, and starts rereading it every RefreshDuration. Call Close
// to stop watching.
//
// # Experimental
//
// Notice: this API is experimental; it may change incompatibly or disappear
// in a future release.
func NewFileWatcherWithOptions(options FileWatcherOptions) (*FileWatcherInterceptor, error) {
	if options.PolicyFile == "" {
		return nil, errors.New("authz: authorization policy file path is empty")
	}
	if options.RefreshDuration <= 0 {
		return nil, fmt.Errorf("authz: requires refresh interval(%v) greater than 0s", options.RefreshDuration)
	}
	i := &FileWatcherInterceptor{opts: options, done: make(chan struct{})}
	if err := i.reload(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	i.cancel = cancel
	go i.watch(ctx)
	return i, nil
}

func (i *FileWatcherInterceptor) watch(ctx context.Context) {
	defer close(i.done)
	t := time.NewTicker(i.opts.RefreshDuration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := i.reload(); err != nil {
			logger.Warningf("Keeping the previous authorization policy: %v", err)
		}
	}
}

// reload installs the file's policy if the file changed and parses.
func (i *FileWatcherInterceptor) reload() error {
	b, err := os.ReadFile(i.opts.PolicyFile)
	if err != nil {
		return fmt.Errorf("policyFile(%s) read failed: %v", i.opts.PolicyFile, err)
	}
	if i.last != nil && bytes.Equal(b, i.last) {
		return nil
	}
	si, err := NewStatic(string(b))
	if err != nil {
		return err
	}
	i.last = b
	i.current.Store(si)
	logger.Infof("Loaded authorization policy %q from %s", si.policy.name, i.opts.PolicyFile)
	if i.opts.OnPolicyUpdate != nil {
		i.opts.OnPolicyUpdate(string(b))
	}
	return nil
}

// Close stops watching the file and waits until no reload is in progress.
// The interceptors keep enforcing the last loaded policy.
func (i *FileWatcherInterceptor) Close() {
	i.cancel()
	<-i.done
}

// UnaryInterceptor is a grpc.UnaryServerInterceptor enforcing whichever
// policy was loaded last.
func (i *FileWatcherInterceptor) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return i.current.Load().UnaryInterceptor(ctx, req, info, handler)
}

// StreamInterceptor is a grpc.StreamServerInterceptor enforcing whichever
// policy was loaded last.
func (i *FileWatcherInterceptor) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return i.current.Load().StreamInterceptor(srv, ss, info, handler)
}
