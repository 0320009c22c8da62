//go:build race

package test

// raceEnabled reports whether the race detector is on; the chaos tests
// scale down under it.
const raceEnabled = true
