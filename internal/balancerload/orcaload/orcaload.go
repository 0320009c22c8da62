// Package orcaload decodes the per-call ORCA load reports that servers send
// in the endpoint-load-metrics-bin trailer. Importing it installs the
// decoder into package balancerload, so that balancer.DoneInfo.ServerLoad
// carries a *v3orcapb.OrcaLoadReport.
package orcaload

import (
	"errors"
	"fmt"

	v3orcapb "github.com/cncf/xds/go/xds/data/orca/v3"
	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/internal/balancerload"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// TrailerKey is the trailer that carries a serialized xds.data.orca.v3.OrcaLoadReport.
const TrailerKey = "endpoint-load-metrics-bin"

var logger = grpclog.Component("orca-backend-metrics")

func init() {
	balancerload.SetParser(parser{})
}

type parser struct{}

// Parse returns the report as *v3orcapb.OrcaLoadReport, or an untyped nil
// when there is none or it cannot be decoded.
func (parser) Parse(md metadata.MD) any {
	r, err := ToLoadReport(md)
	if err != nil {
		logger.Infof("orca: ignoring load report: %v", err)
	}
	if r == nil {
		return nil
	}
	return r
}

// ToLoadReport decodes the load report in md. It returns nil and no error
// when md has none. The value in md is the raw proto bytes: the transport
// has already undone the base64 of the -bin header.
func ToLoadReport(md metadata.MD) (*v3orcapb.OrcaLoadReport, error) {
	vals := md.Get(TrailerKey)
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, errors.New("multiple orca load reports found in provided metadata")
	}
	r := &v3orcapb.OrcaLoadReport{}
	if err := proto.Unmarshal([]byte(vals[0]), r); err != nil {
		return nil, fmt.Errorf("failed to unmarshal load report found in metadata: %v", err)
	}
	return r, nil
}
