// Package internal holds hooks of package orca that tests (and grpc-go's
// examples, through the root internal package) use but that are not part of
// its public API.
package internal

import (
	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	ibackoff "google.golang.org/grpc/internal/backoff"
	"google.golang.org/grpc/internal/balancerload/orcaload"
	"google.golang.org/grpc/metadata"
)

// AllowAnyMinReportingInterval, a func(*orca.ServiceOptions), lets a
// ServiceOptions keep a MinReportingInterval below the 30s floor. Meant for
// tests and demos only.
var AllowAnyMinReportingInterval any

// DefaultBackoffFunc tells the out-of-band producer how long to wait before
// its next attempt after the given number of consecutive failed attempts.
// Tests replace it to avoid slow retries.
var DefaultBackoffFunc = ibackoff.DefaultExponential.Backoff

// TrailerMetadataKey is the trailer that carries a per-call load report.
const TrailerMetadataKey = orcaload.TrailerKey

// ToLoadReport decodes the per-call load report held in md. It returns nil
// and no error if md has none, and an error if there are several or the one
// found is not a valid OrcaLoadReport.
func ToLoadReport(md metadata.MD) (*v3orcapb.OrcaLoadReport, error) {
	return orcaload.ToLoadReport(md)
}
