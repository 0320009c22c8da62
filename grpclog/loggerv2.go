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

// LoggerV2 is the logger gRPC writes to; install one with SetLoggerV2.
// Methods ending in f format like fmt.Printf, in ln like fmt.Println, and the
// others like fmt.Print. The Fatal methods must not return: gRPC calls
// os.Exit(1) after them if they do.
type LoggerV2 interface {
	// Info logs at INFO severity.
	Info(args ...any)
	// Infoln logs at INFO severity.
	Infoln(args ...any)
	// Infof logs at INFO severity.
	Infof(format string, args ...any)
	// Warning logs at WARNING severity.
	Warning(args ...any)
	// Warningln logs at WARNING severity.
	Warningln(args ...any)
	// Warningf logs at WARNING severity.
	Warningf(format string, args ...any)
	// Error logs at ERROR severity.
	Error(args ...any)
	// Errorln logs at ERROR severity.
	Errorln(args ...any)
	// Errorf logs at ERROR severity.
	Errorf(format string, args ...any)
	// Fatal logs at FATAL severity and exits.
	Fatal(args ...any)
	// Fatalln logs at FATAL severity and exits.
	Fatalln(args ...any)
	// Fatalf logs at FATAL severity and exits.
	Fatalf(format string, args ...any)
	// V reports whether verbose logs of level l are enabled.
	V(l int) bool
}

// DepthLoggerV2 is a LoggerV2 that can attribute a message to a caller
// further up the stack, skipping depth frames of logging helpers. If the
// installed logger implements it, gRPC's *Depth functions use it; otherwise
// they fall back to the ln methods.
//
// This API is experimental.
type DepthLoggerV2 interface {
	LoggerV2
	// InfoDepth logs at INFO severity, formatting like fmt.Println.
	InfoDepth(depth int, args ...any)
	// WarningDepth logs at WARNING severity, formatting like fmt.Println.
	WarningDepth(depth int, args ...any)
	// ErrorDepth logs at ERROR severity, formatting like fmt.Println.
	ErrorDepth(depth int, args ...any)
	// FatalDepth logs at FATAL severity, formatting like fmt.Println.
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

// NewLoggerV2 returns a LoggerV2 writing each severity to its writer and to
// the writers of all lower severities: infoW gets everything, errorW only
// errors and fatal messages. Pass io.Discard to drop a severity. Verbosity is
// 0.
func NewLoggerV2(infoW, warningW, errorW io.Writer) LoggerV2 {
	return newStdLogger(infoW, warningW, errorW, 0, false)
}

// NewLoggerV2WithVerbosity is NewLoggerV2 with verbose logs up to level v
// enabled.
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
