package grpclog

// Logger is the original logger interface, matching the standard log
// package.
//
// Deprecated: use LoggerV2.
type Logger interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Fatalln(args ...any)
	Print(args ...any)
	Printf(format string, args ...any)
	Println(args ...any)
}

// SetLogger installs l as gRPC's logger; every severity goes to its Print
// methods. Call only from init functions.
//
// Deprecated: use SetLoggerV2.
func SetLogger(l Logger) {
	SetLoggerV2(v1Logger{l})
}

// v1Logger adapts a Logger: every severity goes to Print and all verbosity
// levels are enabled, since a v1 logger has no notion of either.
type v1Logger struct{ Logger }

func (l v1Logger) Info(args ...any)                    { l.Print(args...) }
func (l v1Logger) Infoln(args ...any)                  { l.Println(args...) }
func (l v1Logger) Infof(format string, args ...any)    { l.Printf(format, args...) }
func (l v1Logger) Warning(args ...any)                 { l.Print(args...) }
func (l v1Logger) Warningln(args ...any)               { l.Println(args...) }
func (l v1Logger) Warningf(format string, args ...any) { l.Printf(format, args...) }
func (l v1Logger) Error(args ...any)                   { l.Print(args...) }
func (l v1Logger) Errorln(args ...any)                 { l.Println(args...) }
func (l v1Logger) Errorf(format string, args ...any)   { l.Printf(format, args...) }
func (l v1Logger) V(int) bool                          { return true }
