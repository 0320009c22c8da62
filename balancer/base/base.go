// Package base provides a balancer that keeps one SubConn per resolved
// address, connects all of them, and lets a PickerBuilder decide how RPCs are
// spread over the READY ones. It suits round_robin-like policies that differ
// only in how they pick; policies with richer behaviour should implement
// balancer.Builder themselves.
//
// Everything in this package is experimental.
package base

import (
	"google.golang.org/grpc/balancer"
	"google.golang.org/grpc/resolver"
)

// PickerBuilder turns the set of READY SubConns into a Picker.
type PickerBuilder interface {
	// Build is called whenever the set of READY SubConns changes.
	Build(info PickerBuildInfo) balancer.Picker
}

// PickerBuildInfo is the input of PickerBuilder.Build.
type PickerBuildInfo struct {
	// ReadySCs holds every READY SubConn with the address it was created for.
	ReadySCs map[balancer.SubConn]SubConnInfo
}

// SubConnInfo describes a SubConn owned by the base balancer.
type SubConnInfo struct {
	Address resolver.Address // Address is the address the SubConn connects to.
}

// Config tunes a balancer built by NewBalancerBuilder.
type Config struct {
	// HealthCheck enables client-side health checking on the SubConns.
	HealthCheck bool
}

// NewBalancerBuilder returns a builder, registered under name if passed to
// balancer.Register, whose balancers use pb to build pickers.
func NewBalancerBuilder(name string, pb PickerBuilder, config Config) balancer.Builder {
	return &builder{name: name, pb: pb, config: config}
}

// NewErrPicker returns a Picker whose Pick always fails with err.
func NewErrPicker(err error) balancer.Picker {
	return errPicker{err: err}
}

// NewErrPickerV2 is another name for NewErrPicker, kept for old callers.
//
// Deprecated: use NewErrPicker.
var NewErrPickerV2 = NewErrPicker

type errPicker struct{ err error }

func (p errPicker) Pick(balancer.PickInfo) (balancer.PickResult, error) {
	return balancer.PickResult{}, p.err
}
