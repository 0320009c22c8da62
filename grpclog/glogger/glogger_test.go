package glogger

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang/glog"
	"google.golang.org/grpc/grpclog"
)

// Importing the package routes grpclog through glog: messages land in
// glog's INFO log with the location of the code that logged them, and
// grpclog.V follows glog's -v.
func TestGRPCLogGoesToGlog(t *testing.T) {
	dir := t.TempDir()
	if err := flag.Set("log_dir", dir); err != nil {
		t.Fatal(err)
	}
	grpclog.Infof("hello %s", "glog")
	grpclog.Warning("careful")
	grpclog.Component("testcomp").Infof("from a component")
	glog.Flush()

	matches, err := filepath.Glob(filepath.Join(dir, "*.INFO"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no INFO log in %s (%v)", dir, err)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range []string{"hello glog", "careful", "[testcomp] from a component"} {
		if !strings.Contains(log, want) {
			t.Errorf("glog INFO log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "glogger_test.go:"); n != 3 {
		t.Errorf("%d of 3 lines are attributed to this test's calls:\n%s", n, log)
	}

	if grpclog.V(2) {
		t.Error("V(2) is true at glog's default verbosity")
	}
	if err := flag.Set("v", "2"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("v", "0")
	if !grpclog.V(2) {
		t.Error("V(2) is false with -v=2")
	}
}
