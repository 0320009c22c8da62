#!/usr/bin/env bash
# Runs every test of the project: the main module (unit and end-to-end tests, with the race
# detector), the nested modules (examples, grpcurl, otelgrpc/middleware) and the interop suite
# against real grpc-go in both directions.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
echo "== main module: go vet and go test -race"
go vet ./... || status=1
go test -race -count=1 -timeout 15m ./... || status=1

echo "== examples module (helloworld, route_guide)"
(cd examples && go vet ./... && go test -race -count=1 ./...) || status=1

echo "== grpcurl against our reflection (reflection/grpcurltest module)"
(cd reflection/grpcurltest && go vet ./... && go test -race -count=1 -timeout 15m ./...) || status=1

echo "== ecosystem (otelgrpc, go-grpc-middleware v2 against our module)"
(cd test/ecosystem && go vet ./... && go test -race -count=1 ./...) || status=1

echo "== interop suite (our module <-> grpc-go v1.85.0)"
(cd interop && go test -race -count=1 -timeout 15m ./...) || status=1
exit $status
