package grpclog

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
)

func TestNewLoggerV2Routing(t *testing.T) {
	var info, warn, errb bytes.Buffer
	l := NewLoggerV2(&info, &warn, &errb)
	l.Info("i")
	l.Warningf("w%d", 1)
	l.Errorln("e", 2)
	// Each severity also goes to every lower severity's writer.
	for name, tc := range map[string]struct {
		buf  *bytes.Buffer
		want []string
	}{
		"info":  {&info, []string{"INFO: i", "WARNING: w1", "ERROR: e 2"}},
		"warn":  {&warn, []string{"WARNING: w1", "ERROR: e 2"}},
		"error": {&errb, []string{"ERROR: e 2"}},
	} {
		out := tc.buf.String()
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s writer %q lacks %q", name, out, w)
			}
		}
		if got := strings.Count(out, "\n"); got != len(tc.want) {
			t.Errorf("%s writer has %d lines, want %d: %q", name, got, len(tc.want), out)
		}
	}
	if !regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO: i\n`).MatchString(info.String()) {
		t.Errorf("line format: %q", info.String())
	}
}

func TestVerbosity(t *testing.T) {
	l := NewLoggerV2WithVerbosity(io.Discard, io.Discard, io.Discard, 2)
	if !l.V(2) || l.V(3) {
		t.Fatal("V")
	}
	if NewLoggerV2(io.Discard, io.Discard, io.Discard).V(1) {
		t.Fatal("default verbosity is 0")
	}
}

func TestFatalExits(t *testing.T) {
	var code int
	old := exit
	exit = func(c int) { code = c }
	defer func() { exit = old }()
	var buf bytes.Buffer
	l := NewLoggerV2(io.Discard, io.Discard, &buf)
	l.Fatalf("bad %s", "thing")
	if code != 1 || !strings.Contains(buf.String(), "FATAL: bad thing") {
		t.Fatalf("code=%d out=%q", code, buf.String())
	}
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoggerFromEnv(t *testing.T) {
	tests := []struct {
		env       map[string]string
		wantLines []string
		wantV     int
	}{
		{map[string]string{}, []string{"ERROR: e"}, 0},
		{map[string]string{"GRPC_GO_LOG_SEVERITY_LEVEL": "warning"}, []string{"WARNING: w", "ERROR: e"}, 0},
		{map[string]string{"GRPC_GO_LOG_SEVERITY_LEVEL": "INFO", "GRPC_GO_LOG_VERBOSITY_LEVEL": "99"}, []string{"INFO: i", "WARNING: w", "ERROR: e"}, 99},
		{map[string]string{"GRPC_GO_LOG_SEVERITY_LEVEL": "bogus", "GRPC_GO_LOG_VERBOSITY_LEVEL": "x"}, nil, 0},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := loggerFromEnv(envFunc(tt.env), &buf)
		l.Info("i")
		l.Warning("w")
		l.Error("e")
		out := buf.String()
		if strings.Count(out, "\n") != len(tt.wantLines) {
			t.Errorf("env %v: output %q, want lines %v", tt.env, out, tt.wantLines)
		}
		for _, w := range tt.wantLines {
			if !strings.Contains(out, w) {
				t.Errorf("env %v: output %q lacks %q", tt.env, out, w)
			}
		}
		if !l.V(tt.wantV) || l.V(tt.wantV+1) {
			t.Errorf("env %v: wrong verbosity", tt.env)
		}
	}
}

func TestJSONFormat(t *testing.T) {
	var buf bytes.Buffer
	l := loggerFromEnv(envFunc(map[string]string{"GRPC_GO_LOG_FORMATTER": "json"}), &buf)
	l.Errorf("oops %d", 1)
	var m map[string]string
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["severity"] != "ERROR" || m["message"] != "oops 1" {
		t.Fatalf("json line %q: %v", buf.String(), err)
	}
}

// swap installs l for the duration of a test.
func swap(t *testing.T, l LoggerV2) {
	old := current.Load()
	SetLoggerV2(l)
	t.Cleanup(func() { current.Store(old) })
}

func TestGlobalsAndComponent(t *testing.T) {
	var buf bytes.Buffer
	swap(t, NewLoggerV2(&buf, io.Discard, io.Discard))
	Info("a")
	Warningf("b%d", 2)
	Errorln("c")
	Print("d")
	c := Component("core")
	if Component("core") != c {
		t.Fatal("Component is not cached")
	}
	c.Infof("x=%d", 5)
	c.Warning("warn")
	out := buf.String()
	for _, w := range []string{"INFO: a", "WARNING: b2", "ERROR: c", "INFO: d", "INFO: [core] x=5", "WARNING: [core] warn"} {
		if !strings.Contains(out, w) {
			t.Errorf("output %q lacks %q", out, w)
		}
	}
}

func TestSetLoggerV2RejectsComponent(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	SetLoggerV2(Component("x"))
}

type depthLogger struct {
	LoggerV2
	depths []int
}

func (d *depthLogger) InfoDepth(depth int, args ...any)    { d.depths = append(d.depths, depth) }
func (d *depthLogger) WarningDepth(depth int, args ...any) { d.depths = append(d.depths, depth) }
func (d *depthLogger) ErrorDepth(depth int, args ...any)   { d.depths = append(d.depths, depth) }
func (d *depthLogger) FatalDepth(depth int, args ...any)   { d.depths = append(d.depths, depth) }

func TestDepthLogger(t *testing.T) {
	d := &depthLogger{LoggerV2: NewLoggerV2(io.Discard, io.Discard, io.Discard)}
	swap(t, d)
	InfoDepth(1, "x")
	Component("depth").Error("y")
	if len(d.depths) != 2 || d.depths[0] != 1 || d.depths[1] != 2 {
		t.Fatalf("depths = %v", d.depths)
	}
}

type v1 struct{ buf bytes.Buffer }

func (l *v1) Fatal(args ...any)                 {}
func (l *v1) Fatalf(format string, args ...any) {}
func (l *v1) Fatalln(args ...any)               {}
func (l *v1) Print(args ...any)                 { l.buf.WriteString("print ") }
func (l *v1) Printf(format string, args ...any) { l.buf.WriteString("printf ") }
func (l *v1) Println(args ...any)               { l.buf.WriteString("println ") }

func TestSetLogger(t *testing.T) {
	old := current.Load()
	t.Cleanup(func() { current.Store(old) })
	l := &v1{}
	SetLogger(l)
	Info("a")
	Errorf("b")
	Warningln("c")
	if got := l.buf.String(); got != "print printf println " || !V(100) {
		t.Fatalf("v1 adapter: %q", got)
	}
}
