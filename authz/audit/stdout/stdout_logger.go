// Package stdout provides an audit logger that writes each audit event to
// standard output as a line of JSON. Importing the package registers it
// under Name.
//
// Each line has the form
//
//	{"grpc_audit_log":{"rpc_method":"/pkg.Svc/Method","principal":"...","policy_name":"...","matched_rule":"...","authorized":true,"timestamp":"..."}}
//
// where timestamp is the local time of logging in RFC 3339 format with
// nanoseconds.
//
// # Experimental
//
// Notice: this package is experimental; it may change incompatibly or
// disappear in a future release.
package stdout

import (
	"encoding/json"
	"log"
	"os"
	"time"

	"google.golang.org/grpc/authz/audit"
	"google.golang.org/grpc/grpclog"
)

// Name is the name the stdout logger's builder is registered under, and
// the name policies use to select it.
const Name = "stdout_logger"

var grpcLogger = grpclog.Component("authz-audit")

// output is where every stdout logger writes. A log.Logger serializes
// concurrent writes so lines never interleave; tests redirect it with
// SetOutput.
var output = log.New(os.Stdout, "", 0)

func init() {
	audit.RegisterLoggerBuilder(builder{})
}

// line is the JSON object written for one event, inside the
// "grpc_audit_log" wrapper.
type line struct {
	FullMethodName string `json:"rpc_method"`
	Principal      string `json:"principal"`
	PolicyName     string `json:"policy_name"`
	MatchedRule    string `json:"matched_rule"`
	Authorized     bool   `json:"authorized"`
	Timestamp      string `json:"timestamp"`
}

type wrapper struct {
	Event line `json:"grpc_audit_log"`
}

// logger writes events to output.
type logger struct{}

// Log writes e to standard output as one line of JSON.
func (logger) Log(e *audit.Event) {
	b, err := json.Marshal(wrapper{Event: line{
		FullMethodName: e.FullMethodName,
		Principal:      e.Principal,
		PolicyName:     e.PolicyName,
		MatchedRule:    e.MatchedRule,
		Authorized:     e.Authorized,
		Timestamp:      time.Now().Format(time.RFC3339Nano),
	}})
	if err != nil {
		grpcLogger.Errorf("Failed to encode audit event as JSON: %v", err)
		return
	}
	output.Println(string(b))
}

// config is the stdout logger's configuration, which has no settings.
type config struct {
	audit.LoggerConfig
}

// builder builds stdout loggers.
type builder struct{}

// Name returns Name.
func (builder) Name() string { return Name }

// Build returns a logger writing to standard output; the logger takes no
// configuration.
func (builder) Build(audit.LoggerConfig) audit.Logger { return logger{} }

// ParseLoggerConfig accepts any configuration, since the stdout logger has
// no settings: an empty config or "{}" is expected, and anything else is
// logged as a warning and ignored.
func (builder) ParseLoggerConfig(c json.RawMessage) (audit.LoggerConfig, error) {
	if len(c) != 0 && string(c) != "{}" {
		grpcLogger.Warningf("The stdout audit logger takes no configuration; ignoring %s", c)
	}
	return &config{}, nil
}
