package grpclog

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
)

// The text format is the standard log prefix (date and time), the severity,
// a colon and the message; the ln variants keep fmt.Sprintln's spacing and
// their single trailing newline.
func TestTextLineFormat(t *testing.T) {
	var buf bytes.Buffer
	l := NewLoggerV2(&buf, io.Discard, io.Discard)
	l.Infoln("a", 1, "b")
	l.Info("a", 1, "b")
	l.Warningf("%s-%d", "x", 2)
	lines := strings.SplitAfter(buf.String(), "\n")
	want := []string{"INFO: a 1 b\n", "INFO: a1b\n", "WARNING: x-2\n", ""}
	if len(lines) != len(want) {
		t.Fatalf("output %q, want %d lines", buf.String(), len(want)-1)
	}
	stamp := regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
	for i, w := range want[:len(want)-1] {
		loc := stamp.FindStringIndex(lines[i])
		if loc == nil || lines[i][loc[1]:] != w {
			t.Errorf("line %d = %q, want timestamp then %q", i, lines[i], w)
		}
	}
}

// In JSON mode each message is one object with exactly the keys severity and
// message, with no timestamp prefix; an ln message keeps its newline inside
// the string.
func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	l := loggerFromEnv(envFunc(map[string]string{"GRPC_GO_LOG_FORMATTER": "JSON", "GRPC_GO_LOG_SEVERITY_LEVEL": "info"}), &buf)
	l.Infoln("hello", "world")
	l.Warning("w")
	want := []map[string]string{
		{"severity": "INFO", "message": "hello world\n"},
		{"severity": "WARNING", "message": "w"},
	}
	dec := json.NewDecoder(&buf)
	for i, w := range want {
		var got map[string]string
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if len(got) != 2 || got["severity"] != w["severity"] || got["message"] != w["message"] {
			t.Errorf("line %d = %v, want %v", i, got, w)
		}
	}
	if dec.More() {
		t.Errorf("unexpected trailing output")
	}
}

// A logger whose Fatal methods return must not let the package-level Fatal
// functions return: gRPC relies on them ending the process.
type returningLogger struct {
	LoggerV2
	fatals int
}

func (r *returningLogger) Fatal(...any)          { r.fatals++ }
func (r *returningLogger) Fatalf(string, ...any) { r.fatals++ }
func (r *returningLogger) Fatalln(...any)        { r.fatals++ }

func TestGlobalFatalAlwaysExits(t *testing.T) {
	var codes []int
	old := exit
	exit = func(c int) { codes = append(codes, c) }
	defer func() { exit = old }()
	r := &returningLogger{LoggerV2: NewLoggerV2(io.Discard, io.Discard, io.Discard)}
	swap(t, r)
	Fatal("a")
	Fatalf("%s", "b")
	Fatalln("c")
	FatalDepth(1, "d") // no depth support: goes to Fatalln
	Component("fatal").Fatal("e")
	if r.fatals != 5 || len(codes) != 5 {
		t.Fatalf("logger saw %d fatals, exit called %v; want 5 and 5", r.fatals, codes)
	}
	for _, c := range codes {
		if c != 1 {
			t.Fatalf("exit codes %v, want all 1", codes)
		}
	}
}

// Messages below the configured severity are dropped without being
// formatted: arguments' String methods are never called.
type countingStringer struct{ n *int }

func (c countingStringer) String() string { *c.n++; return "s" }

func TestDiscardedSeveritySkipsFormatting(t *testing.T) {
	var buf bytes.Buffer
	l := loggerFromEnv(envFunc(nil), &buf) // default: ERROR and above
	n := 0
	l.Info(countingStringer{&n})
	l.Warningf("%v", countingStringer{&n})
	if n != 0 || buf.Len() != 0 {
		t.Errorf("formatted %d times, wrote %q; want nothing", n, buf.String())
	}
	l.Errorln(countingStringer{&n})
	if n != 1 || !strings.Contains(buf.String(), "ERROR: s\n") {
		t.Errorf("formatted %d times, wrote %q; want the error logged once", n, buf.String())
	}
}
