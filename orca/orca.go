// Package orca implements the server side of Open Request Cost Aggregation
// (ORCA) and the client side of its out-of-band reporting stream.
//
// ORCA is an open standard by which backends tell load balancers how loaded
// they are. A backend can report in two ways: per call, by attaching a
// serialized xds.data.orca.v3.OrcaLoadReport to the trailer of each RPC
// (see CallMetricsServerOption and CallMetricsRecorderFromContext), or out
// of band, by serving the xds.service.orca.v3.OpenRcaService streaming
// service (see Register), which pushes reports to interested clients at a
// fixed interval. On the client, per-call reports reach load balancing
// policies as balancer.DoneInfo.ServerLoad, and out-of-band reports reach
// listeners registered with RegisterOOBListener.
//
// Importing this package installs the decoder for per-call reports, so that
// DoneInfo.ServerLoad holds a *v3orcapb.OrcaLoadReport.
//
// Experimental: grpc-go may change or remove this API.
package orca

import (
	"google.golang.org/grpc/grpclog"

	// Registers the per-call load report decoder with balancerload.
	_ "google.golang.org/grpc/internal/balancerload/orcaload"
)

var logger = grpclog.Component("orca-backend-metrics")
