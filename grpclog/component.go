package grpclog

import (
	"fmt"
	"sync"
)

// componentLogger prefixes every message with "[name]" and forwards it to
// the installed logger at the caller's depth.
type componentLogger struct {
	prefix string
}

func (c *componentLogger) with(args []any) []any {
	return append([]any{c.prefix}, args...)
}

func (c *componentLogger) InfoDepth(depth int, args ...any) { InfoDepth(depth+1, c.with(args)...) }
func (c *componentLogger) WarningDepth(depth int, args ...any) {
	WarningDepth(depth+1, c.with(args)...)
}
func (c *componentLogger) ErrorDepth(depth int, args ...any) { ErrorDepth(depth+1, c.with(args)...) }
func (c *componentLogger) FatalDepth(depth int, args ...any) { FatalDepth(depth+1, c.with(args)...) }

func (c *componentLogger) Info(args ...any)    { c.InfoDepth(1, args...) }
func (c *componentLogger) Warning(args ...any) { c.WarningDepth(1, args...) }
func (c *componentLogger) Error(args ...any)   { c.ErrorDepth(1, args...) }
func (c *componentLogger) Fatal(args ...any)   { c.FatalDepth(1, args...) }

func (c *componentLogger) Infoln(args ...any)    { c.InfoDepth(1, args...) }
func (c *componentLogger) Warningln(args ...any) { c.WarningDepth(1, args...) }
func (c *componentLogger) Errorln(args ...any)   { c.ErrorDepth(1, args...) }
func (c *componentLogger) Fatalln(args ...any)   { c.FatalDepth(1, args...) }

func (c *componentLogger) Infof(format string, args ...any) {
	c.InfoDepth(1, fmt.Sprintf(format, args...))
}
func (c *componentLogger) Warningf(format string, args ...any) {
	c.WarningDepth(1, fmt.Sprintf(format, args...))
}
func (c *componentLogger) Errorf(format string, args ...any) {
	c.ErrorDepth(1, fmt.Sprintf(format, args...))
}
func (c *componentLogger) Fatalf(format string, args ...any) {
	c.FatalDepth(1, fmt.Sprintf(format, args...))
}

func (c *componentLogger) V(l int) bool { return V(l) }

var components sync.Map // name -> *componentLogger

// Component returns the logger for the named part of gRPC, which prefixes
// messages with "[name]" and writes through the installed logger. Calls with
// the same name return the same logger.
func Component(componentName string) DepthLoggerV2 {
	if c, ok := components.Load(componentName); ok {
		return c.(*componentLogger)
	}
	c, _ := components.LoadOrStore(componentName, &componentLogger{prefix: "[" + componentName + "]"})
	return c.(*componentLogger)
}
