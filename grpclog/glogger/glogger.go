// Package glogger makes glog (github.com/golang/glog) the logger of
// grpclog. Import it for that side effect:
//
//	import _ "google.golang.org/grpc/grpclog/glogger"
//
// glog's own flags (-v, -logtostderr, -log_dir, ...) then govern gRPC's
// logs, and file:line locations point at the gRPC code that logged.
package glogger

import (
	"fmt"

	"github.com/golang/glog"
	"google.golang.org/grpc/grpclog"
)

func init() {
	grpclog.SetLoggerV2(glogger{})
}

// ownFrames is the stack frames between the code that logged and glog,
// which glog must skip to report that code's location: the grpclog
// function that was called and the glogger method it called.
const ownFrames = 2

// glogger forwards grpclog's calls to glog. It implements
// grpclog.DepthLoggerV2, so grpclog's helpers report their callers.
type glogger struct{}

func (glogger) Info(args ...any)    { glog.InfoDepth(ownFrames, args...) }
func (glogger) Warning(args ...any) { glog.WarningDepth(ownFrames, args...) }
func (glogger) Error(args ...any)   { glog.ErrorDepth(ownFrames, args...) }
func (glogger) Fatal(args ...any)   { glog.FatalDepth(ownFrames, args...) }

func (glogger) Infoln(args ...any)    { glog.InfoDepth(ownFrames, sprintln(args)) }
func (glogger) Warningln(args ...any) { glog.WarningDepth(ownFrames, sprintln(args)) }
func (glogger) Errorln(args ...any)   { glog.ErrorDepth(ownFrames, sprintln(args)) }
func (glogger) Fatalln(args ...any)   { glog.FatalDepth(ownFrames, sprintln(args)) }

func (glogger) Infof(format string, args ...any) {
	glog.InfoDepthf(ownFrames, format, args...)
}

func (glogger) Warningf(format string, args ...any) {
	glog.WarningDepthf(ownFrames, format, args...)
}

func (glogger) Errorf(format string, args ...any) {
	glog.ErrorDepthf(ownFrames, format, args...)
}

func (glogger) Fatalf(format string, args ...any) {
	glog.FatalDepthf(ownFrames, format, args...)
}

func (glogger) InfoDepth(depth int, args ...any) {
	glog.InfoDepth(depth+ownFrames, sprintln(args))
}

func (glogger) WarningDepth(depth int, args ...any) {
	glog.WarningDepth(depth+ownFrames, sprintln(args))
}

func (glogger) ErrorDepth(depth int, args ...any) {
	glog.ErrorDepth(depth+ownFrames, sprintln(args))
}

func (glogger) FatalDepth(depth int, args ...any) {
	glog.FatalDepth(depth+ownFrames, sprintln(args))
}

// V reports whether glog's verbosity (-v) is at least l.
func (glogger) V(l int) bool { return bool(glog.V(glog.Level(l))) }

// sprintln formats like fmt.Println, without the newline glog adds itself.
func sprintln(args []any) string {
	s := fmt.Sprintln(args...)
	return s[:len(s)-1]
}
