package stdout

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/authz/audit"
)

// capture sends what the stdout loggers write to a buffer until the test
// ends.
func capture(t *testing.T) *syncBuffer {
	b := &syncBuffer{}
	output.SetOutput(b)
	t.Cleanup(func() { output.SetOutput(os.Stdout) })
	return b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newLogger(t *testing.T) audit.Logger {
	t.Helper()
	b := audit.GetLoggerBuilder(Name)
	if b == nil {
		t.Fatalf("no builder registered as %q", Name)
	}
	c, err := b.ParseLoggerConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := b.Build(c)
	if l == nil {
		t.Fatal("Build returned nil")
	}
	return l
}

var timestampRE = regexp.MustCompile(`,"timestamp":"([^"]*)"\}\}\n$`)

func TestLogFormat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		event audit.Event
		want  string // the line up to the timestamp
	}{
		{
			name:  "empty fields",
			event: audit.Event{PolicyName: "p"},
			want:  `{"grpc_audit_log":{"rpc_method":"","principal":"","policy_name":"p","matched_rule":"","authorized":false`,
		},
		{
			name: "all fields",
			event: audit.Event{
				FullMethodName: "/helloworld.Greeter/SayHello",
				Principal:      "spiffe://example.org/ns/default/sa/default/backend",
				PolicyName:     "example-policy",
				MatchedRule:    "example-policy_dev-access",
				Authorized:     true,
			},
			want: `{"grpc_audit_log":{"rpc_method":"/helloworld.Greeter/SayHello",` +
				`"principal":"spiffe://example.org/ns/default/sa/default/backend","policy_name":"example-policy",` +
				`"matched_rule":"example-policy_dev-access","authorized":true`,
		},
		{
			name:  "escaping as encoding/json does",
			event: audit.Event{PolicyName: `a"b<c>&`, MatchedRule: "x\ny"},
			want:  `{"grpc_audit_log":{"rpc_method":"","principal":"","policy_name":"a\"b\u003cc\u003e\u0026","matched_rule":"x\ny","authorized":false`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := capture(t)
			l := newLogger(t)
			before := time.Now()
			l.Log(&tc.event)
			after := time.Now()
			got := buf.String()
			m := timestampRE.FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("logged %q: no timestamp at the end of one line", got)
			}
			if prefix := strings.TrimSuffix(got, m[0]); prefix != tc.want {
				t.Errorf("logged\n%s\nwant\n%s", prefix, tc.want)
			}
			ts, err := time.Parse(time.RFC3339Nano, m[1])
			if err != nil {
				t.Fatalf("timestamp %q is not RFC 3339: %v", m[1], err)
			}
			if ts.Before(before.Truncate(time.Second)) || ts.After(after) {
				t.Errorf("timestamp %v is outside [%v, %v]", ts, before, after)
			}
			var parsed map[string]map[string]any
			if err := json.Unmarshal([]byte(got), &parsed); err != nil {
				t.Fatalf("line is not JSON: %v", err)
			}
			e := parsed["grpc_audit_log"]
			if e["policy_name"] != tc.event.PolicyName || e["matched_rule"] != tc.event.MatchedRule || e["authorized"] != tc.event.Authorized {
				t.Errorf("decoded %v, want %+v", e, tc.event)
			}
		})
	}
}

// TestLogConcurrent checks that events logged at once come out as whole
// lines.
func TestLogConcurrent(t *testing.T) {
	buf := capture(t)
	l := newLogger(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Log(&audit.Event{FullMethodName: "/a.B/C", PolicyName: strings.Repeat("p", 500)})
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("got %d lines, want 20", len(lines))
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Errorf("line is not JSON: %q", line)
		}
	}
}

// TestParseLoggerConfig checks that, as in grpc-go, the stdout logger takes
// every config: it has no settings, so anything but an empty config is
// ignored with a warning rather than refused.
func TestParseLoggerConfig(t *testing.T) {
	b := audit.GetLoggerBuilder(Name)
	if b == nil {
		t.Fatalf("no builder registered as %q", Name)
	}
	if b.Name() != Name {
		t.Errorf("Name() = %q, want %q", b.Name(), Name)
	}
	for _, c := range []string{"", "{}", `{"a": 1}`, `not json`} {
		cfg, err := b.ParseLoggerConfig(json.RawMessage(c))
		if err != nil {
			t.Errorf("ParseLoggerConfig(%q) = %v", c, err)
			continue
		}
		if cfg == nil {
			t.Errorf("ParseLoggerConfig(%q) returned a nil config", c)
		}
		if l := b.Build(cfg); l == nil {
			t.Errorf("Build for config %q returned nil", c)
		}
	}
}
