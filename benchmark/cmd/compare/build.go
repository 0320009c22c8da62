package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// grpcGoVersion is the grpc-go release we compare against.
const grpcGoVersion = "v1.85.0"

// protobufVersion is pinned on both sides so that message encoding costs the
// same; only the gRPC implementation differs between the two binaries.
const protobufVersion = "v1.36.12"

// impl is one side of the comparison.
type impl struct {
	name string // "grpc-go" or "ours"
	bin  string // the built workload binary
}

// repoRoot finds the root of the google.golang.org/grpc module that contains
// the working directory.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module; run from the repository or pass -repo")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(data, []byte("module google.golang.org/grpc\n")) {
		return "", fmt.Errorf("%s is not the google.golang.org/grpc module; pass -repo", gomod)
	}
	return filepath.Dir(gomod), nil
}

// goMod returns the go.mod of a scratch module holding the workload. With
// replaceDir set, google.golang.org/grpc resolves to that directory (ours);
// without it, to the real grpc-go release.
func goMod(replaceDir string) string {
	var b strings.Builder
	b.WriteString("module grpcbench\n\ngo 1.26.0\n\nrequire (\n")
	fmt.Fprintf(&b, "\tgoogle.golang.org/grpc %s\n", grpcGoVersion)
	fmt.Fprintf(&b, "\tgoogle.golang.org/protobuf %s\n", protobufVersion)
	b.WriteString(")\n")
	if replaceDir != "" {
		fmt.Fprintf(&b, "\nreplace google.golang.org/grpc => %s\n", replaceDir)
	}
	return b.String()
}

// buildImpls copies the workload source into two scratch modules under work,
// one per implementation, and builds a binary from each. The source files are
// identical byte for byte; only go.mod differs.
func buildImpls(repo, work string, logf func(string, ...any)) ([]impl, error) {
	src := filepath.Join(repo, "benchmark", "workload")
	files, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil {
		return nil, err
	}
	sides := []struct{ name, replace string }{
		{"grpc-go", ""},
		{"ours", repo},
	}
	var impls []impl
	for _, side := range sides {
		dir := filepath.Join(work, side.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod(side.replace)), 0o644); err != nil {
			return nil, err
		}
		bin := filepath.Join(work, "workload-"+side.name)
		logf("building %s workload in %s", side.name, dir)
		for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", bin, "."}} {
			if err := goCmd(dir, args...); err != nil {
				return nil, fmt.Errorf("%s: %v", side.name, err)
			}
		}
		impls = append(impls, impl{name: side.name, bin: bin})
	}
	return impls, nil
}

func goCmd(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
