package pickfirst

import (
	"sync"

	"google.golang.org/grpc/balancer"
)

// fixedPicker returns the same result, or the same error, for every RPC.
type fixedPicker struct {
	result balancer.PickResult
	err    error
}

func (p *fixedPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	return p.result, p.err
}

// idlePicker is published after the connection was lost. The first RPC that
// comes along wakes the policy up; all of them wait for the next picker.
type idlePicker struct {
	wake func()
}

func newIdlePicker(exitIdle func()) *idlePicker {
	return &idlePicker{wake: sync.OnceFunc(exitIdle)}
}

func (p *idlePicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	p.wake()
	return balancer.PickResult{}, balancer.ErrNoSubConnAvailable
}
