// Package audit defines the extension points for audit logging of
// authorization decisions (gRFC A59): the Event handed to loggers, the
// Logger and LoggerBuilder interfaces a logging implementation provides,
// and a process-wide registry of builders keyed by name.
//
// An authorization policy refers to loggers by the name their builder
// registered under; when a decision meets the policy's audit condition,
// every configured logger is given an Event describing it.
//
// # Experimental
//
// Notice: this package is experimental; it may change incompatibly or
// disappear in a future release.
package audit

import (
	"encoding/json"
	"sync"
)

// builders is the registry of LoggerBuilders by name.
var builders = struct {
	mu sync.Mutex
	m  map[string]LoggerBuilder
}{m: make(map[string]LoggerBuilder)}

// RegisterLoggerBuilder makes b available under the name b.Name() returns,
// replacing any builder previously registered under that name. The empty
// name is an ordinary key.
//
// Call it only while the program initializes, typically from an init
// function; it is not meant to change the registry once RPCs are served.
func RegisterLoggerBuilder(b LoggerBuilder) {
	name := b.Name()
	builders.mu.Lock()
	defer builders.mu.Unlock()
	builders.m[name] = b
}

// GetLoggerBuilder returns the builder registered under name, or nil when
// there is none.
func GetLoggerBuilder(name string) LoggerBuilder {
	builders.mu.Lock()
	defer builders.mu.Unlock()
	return builders.m[name]
}

// Event describes one authorization decision to an audit Logger.
type Event struct {
	// FullMethodName is the method the RPC called, as "/package.Service/Method",
	// for example "/helloworld.Greeter/SayHello".
	FullMethodName string
	// Principal identifies the caller. It is set only when the peer
	// authenticated with a TLS certificate carrying a SPIFFE ID, and is
	// empty otherwise.
	Principal string
	// PolicyName is the name of the authorization policy (or xDS RBAC
	// filter) that made the decision.
	PolicyName string
	// MatchedRule names the rule (or xDS RBAC policy) the RPC matched; it is
	// empty when the decision was reached because nothing matched.
	MatchedRule string
	// Authorized reports whether the RPC was allowed to proceed.
	Authorized bool
}

// LoggerConfig is a logger's parsed configuration, opaque to everything but
// the LoggerBuilder that produced it. Its method is unexported, so a
// concrete configuration type satisfies it by embedding LoggerConfig.
type LoggerConfig interface {
	loggerConfig()
}

// Logger records audit events.
//
// A Logger is configured through an authorization policy or an xDS HTTP RBAC
// filter, and its Log method is called for each authorization decision that
// meets the configured audit condition. See gRFC A59,
// https://github.com/grpc/proposal/blob/master/A59-audit-logging.md.
type Logger interface {
	// Log records event. It is called on the RPC's path, possibly from many
	// goroutines at once, so it must be safe for concurrent use and must not
	// block.
	Log(*Event)
}

// LoggerBuilder creates Loggers of one kind from their configuration.
//
// To provide a custom audit logger, implement this interface and Logger,
// and register the builder with RegisterLoggerBuilder during
// initialization. See gRFC A59,
// https://github.com/grpc/proposal/blob/master/A59-audit-logging.md.
type LoggerBuilder interface {
	// ParseLoggerConfig validates config, the JSON object given for this
	// logger in the policy, and returns it in the form Build accepts. An
	// error makes the policy invalid.
	ParseLoggerConfig(config json.RawMessage) (LoggerConfig, error)
	// Build returns a Logger for a config returned by ParseLoggerConfig. It
	// cannot fail: problems that only show at run time, such as a file that
	// cannot be opened, are for the Logger to handle, so Build must always
	// return a usable Logger.
	Build(LoggerConfig) Logger
	// Name returns the name the builder is registered and selected by.
	Name() string
}
