package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
)

// startProfiles writes CPU, mutex and block profiles of this process into
// the directory named by $WORKLOAD_PROFILE_DIR (prefixed by the mode) when
// the returned function runs. Unset, it does nothing: the comparison never
// sets it, so both sides run the same unprofiled code. It exists so a slow
// metric can be examined in the very process layout the comparison uses.
func startProfiles(mode string) func() {
	dir := os.Getenv("WORKLOAD_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	if os.Getenv("WORKLOAD_PROFILE_FINEMEM") != "" {
		// Per-connection costs are small: sample every 64 bytes. Slows
		// allocation a lot, so CPU profiles taken with it are skewed.
		runtime.MemProfileRate = 64
	}
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10000) // one sample per 10µs blocked
	cpu, err := os.Create(filepath.Join(dir, mode+".cpu"))
	if err != nil {
		return func() {}
	}
	pprof.StartCPUProfile(cpu)
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		for _, name := range []string{"mutex", "block", "heap", "goroutine"} {
			if f, err := os.Create(filepath.Join(dir, mode+"."+name)); err == nil {
				pprof.Lookup(name).WriteTo(f, 0)
				f.Close()
			}
		}
	}
}

var snapshots int

// snapshotProfiles writes the heap and goroutine profiles as they are now
// (numbered by call) when profiling is on: the idle-connection procedure
// asks for memory while the connections are open, long before exit.
func snapshotProfiles() {
	dir := os.Getenv("WORKLOAD_PROFILE_DIR")
	if dir == "" {
		return
	}
	snapshots++
	for _, name := range []string{"heap", "goroutine"} {
		f, err := os.Create(filepath.Join(dir, "snap"+strconv.Itoa(snapshots)+"."+name))
		if err != nil {
			continue
		}
		pprof.Lookup(name).WriteTo(f, 0)
		f.Close()
	}
}
