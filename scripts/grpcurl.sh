#!/usr/bin/env bash
# Checks server reflection with a real client: builds grpcurl (from the Go
# module proxy) against this repository's gRPC module, starts a server of ours
# with reflection, health and a test service, and checks grpcurl's list,
# describe and call outputs. The same checks run as Go tests with
#   (cd reflection/grpcurltest && go test ./...)
set -euo pipefail
cd "$(dirname "$0")/../reflection/grpcurltest"

work=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building grpcurl against our module"
go run ./cmd/buildgrpcurl -o "$work/grpcurl"
go build -o "$work/server" ./cmd/server
grpcurl="$work/grpcurl"

"$work/server" >"$work/server.log" 2>&1 &
server_pid=$!
addr=
for _ in $(seq 50); do
	addr=$(sed -n 's/^listening on //p' "$work/server.log")
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { echo "server did not start:"; cat "$work/server.log"; exit 1; }
echo "== server listening on $addr"

failures=0
# check NAME EXPECTED -- GRPCURL_ARGS...: runs grpcurl and compares its
# standard output with EXPECTED.
check() {
	local name=$1 want=$2
	shift 3
	local got
	if ! got=$("$grpcurl" -plaintext "$@" 2>&1); then
		echo "FAIL $name: grpcurl exited with an error:"; echo "$got"; failures=$((failures + 1)); return
	fi
	if [ "$got" != "$want" ]; then
		echo "FAIL $name:"; diff <(echo "$want") <(echo "$got") || true; failures=$((failures + 1)); return
	fi
	echo "ok   $name"
	echo "$got" | sed 's/^/       /'
}

check "list" "grpc.health.v1.Health
grpc.reflection.testing.Catalog
grpc.reflection.v1.ServerReflection
grpc.reflection.v1alpha.ServerReflection" -- "$addr" list

check "describe" "grpc.reflection.testing.Catalog is a service:
service Catalog {
  rpc Lookup ( .grpc.reflection.testing.LookupRequest ) returns ( .grpc.reflection.testing.Item );
  rpc Watch ( stream .grpc.reflection.testing.LookupRequest ) returns ( stream .grpc.reflection.testing.Item );
}" -- "$addr" describe grpc.reflection.testing.Catalog

check "call" '{
  "name": "item:widget",
  "created": "2024-05-06T07:08:09Z",
  "[grpc.reflection.testing.owner]": "team-widget"
}' -- -d '{"name":"widget"}' "$addr" grpc.reflection.testing.Catalog/Lookup

check "health" '{
  "status": "SERVING"
}' -- -d '{}' "$addr" grpc.health.v1.Health/Check

if [ "$failures" -ne 0 ]; then
	echo "$failures grpcurl check(s) failed"
	exit 1
fi
echo "all grpcurl checks passed"
