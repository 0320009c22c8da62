// Package grpclog defines logging for grpc.
//
// In the default logger, severity level can be set by environment variable
// GRPC_GO_LOG_SEVERITY_LEVEL, verbosity level can be set by
// GRPC_GO_LOG_VERBOSITY_LEVEL.
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

// SetLoggerV2 sets logger that is used in grpc to a V2 logger.
// Not mutex-protected, should be called before any gRPC functions.
func SetLoggerV2(l LoggerV2) {
	if _, ok := l.(*componentLogger); ok {
		panic("cannot use component logger as grpclog logger")
	}
	d, _ := l.(DepthLoggerV2)
	current.Store(&active{l: l, depth: d})
}

// V reports whether verbosity level l is at least the requested verbose level.
func V(l int) bool { return logger().l.V(l) }

// Info logs to the INFO log.
func Info(args ...any) { logger().l.Info(args...) }

// Infof logs to the INFO log. Arguments are handled in the manner of fmt.Printf.
func Infof(format string, args ...any) { logger().l.Infof(format, args...) }

// Infoln logs to the INFO log. Arguments are handled in the manner of fmt.Println.
func Infoln(args ...any) { logger().l.Infoln(args...) }

// Warning logs to the WARNING log.
func Warning(args ...any) { logger().l.Warning(args...) }

// Warningf logs to the WARNING log. Arguments are handled in the manner of fmt.Printf.
func Warningf(format string, args ...any) { logger().l.Warningf(format, args...) }

// Warningln logs to the WARNING log. Arguments are handled in the manner of fmt.Println.
func Warningln(args ...any) { logger().l.Warningln(args...) }

// Error logs to the ERROR log.
func Error(args ...any) { logger().l.Error(args...) }

// Errorf logs to the ERROR log. Arguments are handled in the manner of fmt.Printf.
func Errorf(format string, args ...any) { logger().l.Errorf(format, args...) }

// Errorln logs to the ERROR log. Arguments are handled in the manner of fmt.Println.
func Errorln(args ...any) { logger().l.Errorln(args...) }

// Fatal logs to the FATAL log. Arguments are handled in the manner of fmt.Print.
// It calls os.Exit() with exit code 1.
func Fatal(args ...any) {
	logger().l.Fatal(args...)
	// The logger may not exit itself; the contract is that Fatal never returns.
	exit(1)
}

// Fatalf logs to the FATAL log. Arguments are handled in the manner of fmt.Printf.
// It calls os.Exit() with exit code 1.
func Fatalf(format string, args ...any) {
	logger().l.Fatalf(format, args...)
	exit(1)
}

// Fatalln logs to the FATAL log. Arguments are handled in the manner of fmt.Println.
// It calls os.Exit() with exit code 1.
func Fatalln(args ...any) {
	logger().l.Fatalln(args...)
	exit(1)
}

// Print prints to the logger. Arguments are handled in the manner of fmt.Print.
//
// Deprecated: use Info.
func Print(args ...any) { logger().l.Info(args...) }

// Printf prints to the logger. Arguments are handled in the manner of fmt.Printf.
//
// Deprecated: use Infof.
func Printf(format string, args ...any) { logger().l.Infof(format, args...) }

// Println prints to the logger. Arguments are handled in the manner of fmt.Println.
//
// Deprecated: use Infoln.
func Println(args ...any) { logger().l.Infoln(args...) }

// InfoDepth logs to the INFO log at the specified depth.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a
// later release.
func InfoDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.InfoDepth(depth, args...)
	} else {
		a.l.Infoln(args...)
	}
}

// WarningDepth logs to the WARNING log at the specified depth.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a
// later release.
func WarningDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.WarningDepth(depth, args...)
	} else {
		a.l.Warningln(args...)
	}
}

// ErrorDepth logs to the ERROR log at the specified depth.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a
// later release.
func ErrorDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.ErrorDepth(depth, args...)
	} else {
		a.l.Errorln(args...)
	}
}

// FatalDepth logs to the FATAL log at the specified depth.
//
// # Experimental
//
// Notice: This API is EXPERIMENTAL and may be changed or removed in a
// later release.
func FatalDepth(depth int, args ...any) {
	if a := logger(); a.depth != nil {
		a.depth.FatalDepth(depth, args...)
	} else {
		a.l.Fatalln(args...)
	}
	exit(1)
}
