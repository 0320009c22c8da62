package authz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileWatcherOptions(t *testing.T) {
	if _, err := NewFileWatcher("", time.Second); err == nil || !strings.Contains(err.Error(), "path is empty") {
		t.Errorf("empty path: %v", err)
	}
	if _, err := NewFileWatcher("x.json", 0); err == nil || !strings.Contains(err.Error(), "greater than 0s") {
		t.Errorf("zero refresh: %v", err)
	}
	if _, err := NewFileWatcher(filepath.Join(t.TempDir(), "missing.json"), time.Second); err == nil {
		t.Error("missing file accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"name": "p"}`), 0o600)
	if _, err := NewFileWatcher(bad, time.Second); err == nil {
		t.Error("invalid initial policy accepted")
	}
}

// TestFileWatcherKeepsLastGoodPolicy drives reload directly (the ticker is
// set far in the future) to check that an unreadable or invalid file leaves
// the previous policy in force and that OnPolicyUpdate sees each new one.
func TestFileWatcherKeepsLastGoodPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	const p1 = `{"name": "one", "allow_rules": [{"name": "r"}]}`
	const p2 = `{"name": "two", "allow_rules": [{"name": "r"}]}`
	os.WriteFile(path, []byte(p1), 0o600)
	var updates []string
	i, err := NewFileWatcherWithOptions(FileWatcherOptions{
		PolicyFile:      path,
		RefreshDuration: time.Hour,
		OnPolicyUpdate:  func(s string) { updates = append(updates, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	name := func() string { return i.current.Load().policy.name }
	if name() != "one" || len(updates) != 1 || updates[0] != p1 {
		t.Fatalf("initial: policy %q, updates %q", name(), updates)
	}

	if err := i.reload(); err != nil || len(updates) != 1 {
		t.Errorf("unchanged file: err %v, %d updates", err, len(updates))
	}
	os.WriteFile(path, []byte(`{"name": "broken"`), 0o600)
	if err := i.reload(); err == nil || name() != "one" {
		t.Errorf("invalid file: err %v, policy %q", err, name())
	}
	os.Remove(path)
	if err := i.reload(); err == nil || name() != "one" {
		t.Errorf("missing file: err %v, policy %q", err, name())
	}
	os.WriteFile(path, []byte(p2), 0o600)
	if err := i.reload(); err != nil || name() != "two" || updates[len(updates)-1] != p2 {
		t.Errorf("new policy: err %v, policy %q, updates %q", err, name(), updates)
	}
}
