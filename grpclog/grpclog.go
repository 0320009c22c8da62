// Package grpclog is gRPC's logging. By default it logs errors to stderr;
// the environment variable GRPC_GO_LOG_SEVERITY_LEVEL (ERROR, WARNING or
// INFO) lowers the threshold, GRPC_GO_LOG_VERBOSITY_LEVEL (an integer)
// enables verbose logs, and GRPC_GO_LOG_FORMATTER=json writes JSON lines.
package grpclog

import (
	"os"
	"sync/atomic"
)

// active is the installed logger; depth is set when it supports call depths.
type active struct {
	l     LoggerV2
	depth DepthLoggerV2
}

// current is atomic so tests may swap loggers while background goroutines of
// earlier tests still log.
var current atomic.Pointer[active]

func init() {
	SetLoggerV2(loggerFromEnv(os.Getenv, os.Stderr))
}

func logger() *active { return current.Load() }

// SetLoggerV2 installs l as gRPC's logger. Call it before using gRPC. It
// panics if l was returned by Component.
func SetLoggerV2(l LoggerV2) {
	if _, ok := l.(*componentLogger); ok {
		panic("cannot use component logger as grpclog logger")
	}
	d, _ := l.(DepthLoggerV2)
	current.Store(&active{l: l, depth: d})
}

// V reports whether verbose logs of level l are enabled.
func V(l int) bool { return logger().l.V(l) }

// Info logs at INFO severity, formatting like fmt.Print.
func Info(args ...any) { logger().l.Info(args...) }

// Infof logs at INFO severity, formatting like fmt.Printf.
func Infof(format string, args ...any) { logger().l.Infof(format, args...) }

// Infoln logs at INFO severity, formatting like fmt.Println.
func Infoln(args ...any) { logger().l.Infoln(args...) }

// Warning logs at WARNING severity, formatting like fmt.Print.
func Warning(args ...any) { logger().l.Warning(args...) }

// Warningf logs at WARNING severity, formatting like fmt.Printf.
func Warningf(format string, args ...any) { logger().l.Warningf(format, args...) }

// Warningln logs at WARNING severity, formatting like fmt.Println.
func Warningln(args ...any) { logger().l.Warningln(args...) }

// Error logs at ERROR severity, formatting like fmt.Print.
func Error(args ...any) { logger().l.Error(args...) }

// Errorf logs at ERROR severity, formatting like fmt.Printf.
func Errorf(format string, args ...any) { logger().l.Errorf(format, args...) }

// Errorln logs at ERROR severity, formatting like fmt.Println.
func Errorln(args ...any) { logger().l.Errorln(args...) }

// Fatal logs at FATAL severity, formatting like fmt.Print, then exits with
// status 1.
func Fatal(args ...any) {
	logger().l.Fatal(args...)
	// The logger may not exit itself; the contract is that Fatal never returns.
	exit(1)
}

// Fatalf logs at FATAL severity, formatting like fmt.Printf, then exits
// with status 1.
func Fatalf(format string, args ...any) {
	logger().l.Fatalf(format, args...)
	exit(1)
}

// Fatalln logs at FATAL severity, formatting like fmt.Println, then exits
// with status 1.
func Fatalln(args ...any) {
	logger().l.Fatalln(args...)
	exit(1)
}

// Print logs at INFO severity.
//
// Deprecated: use Info.
func Print(args ...any) { logger().l.Info(args...) }

// Printf logs at INFO severity.
//
// Deprecated: use Infof.
func Printf(format string, args ...any) { logger().l.Infof(format, args...) }

// Println logs at INFO severity.
//
// Deprecated: use Infoln.
func Println(args ...any) { logger().l.Infoln(args...) }

// InfoDepth logs at INFO severity, attributed to the caller depth frames
// up, if the logger supports that. This API is experimental.
func InfoDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.InfoDepth(depth, args...)
	} else {
		a.l.Infoln(args...)
	}
}

// WarningDepth logs at WARNING severity, attributed to the caller depth frames
// up, if the logger supports that. This API is experimental.
func WarningDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.WarningDepth(depth, args...)
	} else {
		a.l.Warningln(args...)
	}
}

// ErrorDepth logs at ERROR severity, attributed to the caller depth frames
// up, if the logger supports that. This API is experimental.
func ErrorDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.ErrorDepth(depth, args...)
	} else {
		a.l.Errorln(args...)
	}
}

// FatalDepth logs at FATAL severity, attributed to the caller depth frames
// up, if the logger supports that. This API is experimental.
func FatalDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.FatalDepth(depth, args...)
	} else {
		a.l.Fatalln(args...)
	}
	exit(1)
}
