package audit

import (
	"encoding/json"
	"testing"
)

type testConfig struct {
	LoggerConfig
}

type testLogger struct{}

func (testLogger) Log(*Event) {}

// testBuilder is a LoggerBuilder whose name is chosen by the test.
type testBuilder struct {
	name string
	id   int // tells apart two builders with one name
}

func (b *testBuilder) ParseLoggerConfig(json.RawMessage) (LoggerConfig, error) {
	return testConfig{}, nil
}
func (b *testBuilder) Build(LoggerConfig) Logger { return testLogger{} }
func (b *testBuilder) Name() string              { return b.name }

// unregister removes name from the registry, for cleaning up after a test.
func unregister(name string) {
	builders.mu.Lock()
	defer builders.mu.Unlock()
	delete(builders.m, name)
}

func TestRegistry(t *testing.T) {
	const name = "audit_registry_test"
	defer unregister(name)
	if b := GetLoggerBuilder(name); b != nil {
		t.Fatalf("GetLoggerBuilder(%q) before registration = %v, want nil", name, b)
	}
	first := &testBuilder{name: name, id: 1}
	RegisterLoggerBuilder(first)
	if b := GetLoggerBuilder(name); b != first {
		t.Errorf("GetLoggerBuilder(%q) = %v, want %v", name, b, first)
	}
	// The last registration under a name wins.
	second := &testBuilder{name: name, id: 2}
	RegisterLoggerBuilder(second)
	if b := GetLoggerBuilder(name); b != second {
		t.Errorf("GetLoggerBuilder(%q) after re-registering = %v, want %v", name, b, second)
	}
	if b := GetLoggerBuilder("audit_registry_test_other"); b != nil {
		t.Errorf("GetLoggerBuilder of an unregistered name = %v, want nil", b)
	}
	// Names are case-sensitive.
	if b := GetLoggerBuilder("AUDIT_REGISTRY_TEST"); b != nil {
		t.Errorf("GetLoggerBuilder of a differently cased name = %v, want nil", b)
	}
}

// TestRegistryEmptyName checks that the empty name is an ordinary key, as in
// grpc-go: nothing is found under it until a builder named "" registers.
func TestRegistryEmptyName(t *testing.T) {
	defer unregister("")
	if b := GetLoggerBuilder(""); b != nil {
		t.Fatalf(`GetLoggerBuilder("") = %v, want nil`, b)
	}
	b := &testBuilder{}
	RegisterLoggerBuilder(b)
	if got := GetLoggerBuilder(""); got != b {
		t.Errorf(`GetLoggerBuilder("") after registering an unnamed builder = %v, want %v`, got, b)
	}
}

// TestRegisterNilBuilder checks that, as in grpc-go, registering a nil
// builder panics (its name cannot be asked) and leaves the registry alone.
func TestRegisterNilBuilder(t *testing.T) {
	func() {
		defer func() {
			if recover() == nil {
				t.Error("RegisterLoggerBuilder(nil) did not panic")
			}
		}()
		RegisterLoggerBuilder(nil)
	}()
	if b := GetLoggerBuilder(""); b != nil {
		t.Errorf(`GetLoggerBuilder("") after RegisterLoggerBuilder(nil) = %v, want nil`, b)
	}
}

func TestConcurrentRegistry(t *testing.T) {
	const name = "audit_concurrent_test"
	defer unregister(name)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			RegisterLoggerBuilder(&testBuilder{name: name, id: i})
		}
	}()
	for i := 0; i < 100; i++ {
		GetLoggerBuilder(name)
	}
	<-done
	if b, ok := GetLoggerBuilder(name).(*testBuilder); !ok || b.id != 99 {
		t.Errorf("GetLoggerBuilder(%q) = %v, want the last builder registered", name, b)
	}
}
