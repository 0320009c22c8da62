package grpclog

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
)

// LoggerV2 does underlying logging work for grpclog.
type LoggerV2 interface {
	// Info logs to INFO log. Arguments are handled in the manner of fmt.Print.
	Info(args ...any)
	// Infoln logs to INFO log. Arguments are handled in the manner of fmt.Println.
	Infoln(args ...any)
	// Infof logs to INFO log. Arguments are handled in the manner of fmt.Printf.
	Infof(format string, args ...any)
	// Warning logs to WARNING log. Arguments are handled in the manner of fmt.Print.
	Warning(args ...any)
	// Warningln logs to WARNING log. Arguments are handled in the manner of fmt.Println.
	Warningln(args ...any)
	// Warningf logs to WARNING log. Arguments are handled in the manner of fmt.Printf.
	Warningf(format string, args ...any)
	// Error logs to ERROR log. Arguments are handled in the manner of fmt.Print.
	Error(args ...any)
	// Errorln logs to ERROR log. Arguments are handled in the manner of fmt.Println.
	Errorln(args ...any)
	// Errorf logs to ERROR log. Arguments are handled in the manner of fmt.Printf.
	Errorf(format string, args ...any)
	// Fatal logs to ERROR log. Arguments are handled in the manner of fmt.Print.
	// gRPC ensures that all Fatal logs will exit with os.Exit(1).
	// Implementations may also call os.Exit() with a non-zero exit code.
	Fatal(args ...any)
	// Fatalln logs to ERROR log. Arguments are handled in the manner of fmt.Println.
	// gRPC ensures that all Fatal logs will exit with os.Exit(1).
	// Implementations may also call os.Exit() with a non-zero exit code.
	Fatalln(args ...any)
	// Fatalf logs to ERROR log. Arguments are handled in the manner of fmt.Printf.
	// gRPC ensures that all Fatal logs will exit with os.Exit(1).
	// Implementations may also call os.Exit() with a non-zero exit code.
	Fatalf(format string, args ...any)
	// V reports whether verbosity level l is at least the requested verbose level.
	V(l int) bool
}

// DepthLoggerV2 logs at a specified call frame. If a LoggerV2 also implements
// DepthLoggerV2, the below functions will be called with the appropriate stack
// depth set for trivial functions the logger may ignore.
//
// # Experimental
//
// Notice: This type is EXPERIMENTAL and may be changed or removed in a
// later release.
type DepthLoggerV2 interface {
	LoggerV2
	// InfoDepth logs to INFO log at the specified depth. Arguments are handled in the manner of fmt.Println.
	InfoDepth(depth int, args ...any)
	// WarningDepth logs to WARNING log at the specified depth. Arguments are handled in the manner of fmt.Println.
	WarningDepth(depth int, args ...any)
	// ErrorDepth logs to ERROR log at the specified depth. Arguments are handled in the manner of fmt.Println.
	ErrorDepth(depth int, args ...any)
	// FatalDepth logs to FATAL log at the specified depth. Arguments are handled in the manner of fmt.Println.
	FatalDepth(depth int, args ...any)
}

const (
	sevInfo = iota
	sevWarning
	sevError
	sevFatal
)

var severityNames = [...]string{"INFO", "WARNING", "ERROR", "FATAL"}

// exit is replaced in tests.
var exit = os.Exit

// stdLogger writes each severity to its own log.Logger. A higher severity's
// writer also receives every lower severity's destination, so e.g. an error
// shows up in the info stream too, as in glog.
type stdLogger struct {
	out  [4]*log.Logger
	v    int
	json bool
}

func (g *stdLogger) output(sev int, msg string) {
	l := g.out[sev]
	// Formatting is the expensive part; skip it for discarded severities.
	if l.Writer() == io.Discard {
		return
	}
	if g.json {
		b, _ := json.Marshal(map[string]string{"severity": severityNames[sev], "message": msg})
		msg = string(b)
	} else {
		msg = severityNames[sev] + ": " + msg
	}
	l.Output(3, msg)
}

func (g *stdLogger) enabled(sev int) bool { return g.out[sev].Writer() != io.Discard }

func (g *stdLogger) print(sev int, args []any) {
	if g.enabled(sev) {
		g.output(sev, fmt.Sprint(args...))
	}
}

func (g *stdLogger) println(sev int, args []any) {
	if g.enabled(sev) {
		g.output(sev, fmt.Sprintln(args...))
	}
}

func (g *stdLogger) printf(sev int, format string, args []any) {
	if g.enabled(sev) {
		g.output(sev, fmt.Sprintf(format, args...))
	}
}

func (g *stdLogger) Info(args ...any)                    { g.print(sevInfo, args) }
func (g *stdLogger) Infoln(args ...any)                  { g.println(sevInfo, args) }
func (g *stdLogger) Infof(format string, args ...any)    { g.printf(sevInfo, format, args) }
func (g *stdLogger) Warning(args ...any)                 { g.print(sevWarning, args) }
func (g *stdLogger) Warningln(args ...any)               { g.println(sevWarning, args) }
func (g *stdLogger) Warningf(format string, args ...any) { g.printf(sevWarning, format, args) }
func (g *stdLogger) Error(args ...any)                   { g.print(sevError, args) }
func (g *stdLogger) Errorln(args ...any)                 { g.println(sevError, args) }
func (g *stdLogger) Errorf(format string, args ...any)   { g.printf(sevError, format, args) }
func (g *stdLogger) V(l int) bool                        { return l <= g.v }

func (g *stdLogger) Fatal(args ...any) {
	g.print(sevFatal, args)
	exit(1)
}

func (g *stdLogger) Fatalln(args ...any) {
	g.println(sevFatal, args)
	exit(1)
}

func (g *stdLogger) Fatalf(format string, args ...any) {
	g.printf(sevFatal, format, args)
	exit(1)
}

// join returns a writer to both a and b, avoiding MultiWriter when one of
// them discards.
func join(a, b io.Writer) io.Writer {
	if a == io.Discard {
		return b
	}
	if b == io.Discard {
		return a
	}
	return io.MultiWriter(a, b)
}

func newStdLogger(infoW, warningW, errorW io.Writer, v int, jsonFormat bool) *stdLogger {
	flags := log.LstdFlags
	if jsonFormat {
		flags = 0
	}
	warningW = join(infoW, warningW)
	errorW = join(errorW, warningW)
	return &stdLogger{
		out: [4]*log.Logger{
			log.New(infoW, "", flags),
			log.New(warningW, "", flags),
			log.New(errorW, "", flags),
			log.New(errorW, "", flags),
		},
		v:    v,
		json: jsonFormat,
	}
}

// NewLoggerV2 creates a loggerV2 with the provided writers.
// Fatal logs will be written to errorW, warningW, infoW, followed by exit(1).
// Error logs will be written to errorW, warningW and infoW.
// Warning logs will be written to warningW and infoW.
// Info logs will be written to infoW.
func NewLoggerV2(infoW, warningW, errorW io.Writer) LoggerV2 {
	return newStdLogger(infoW, warningW, errorW, 0, false)
}

// NewLoggerV2WithVerbosity creates a loggerV2 with the provided writers and
// verbosity level.
func NewLoggerV2WithVerbosity(infoW, warningW, errorW io.Writer, v int) LoggerV2 {
	return newStdLogger(infoW, warningW, errorW, v, false)
}

// loggerFromEnv builds the default logger: ERROR and above to stderr unless
// GRPC_GO_LOG_SEVERITY_LEVEL says otherwise, verbosity from
// GRPC_GO_LOG_VERBOSITY_LEVEL, JSON lines if GRPC_GO_LOG_FORMATTER=json.
func loggerFromEnv(getenv func(string) string, stderr io.Writer) LoggerV2 {
	infoW, warningW, errorW := io.Discard, io.Discard, io.Discard
	switch getenv("GRPC_GO_LOG_SEVERITY_LEVEL") {
	case "", "ERROR", "error":
		errorW = stderr
	case "WARNING", "warning":
		warningW = stderr
	case "INFO", "info":
		infoW = stderr
	}
	v, err := strconv.Atoi(getenv("GRPC_GO_LOG_VERBOSITY_LEVEL"))
	if err != nil {
		v = 0
	}
	jsonFormat := strings.EqualFold(getenv("GRPC_GO_LOG_FORMATTER"), "json")
	return newStdLogger(infoW, warningW, errorW, v, jsonFormat)
}
