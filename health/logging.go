package health

import "google.golang.org/grpc/grpclog"

var logger = grpclog.Component("health_service")
