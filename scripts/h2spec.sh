#!/usr/bin/env bash
# HTTP/2 conformance: runs h2spec (built from the Go module proxy) over h2c
# against a server of ours and a grpc-go v1.85.0 server (the nested module
# interop/grpcgo), prints both scores and fails unless ours passes at least
# as many cases as grpc-go's.
#
# Usage: scripts/h2spec.sh [H2SPEC_VERSION]   (default: latest)
# Environment: H2SPEC=/path/to/h2spec skips the build; KEEP=1 keeps the
# reports (printed at the end).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=${1:-latest}

work=$(mktemp -d "${TMPDIR:-/tmp}/h2spec.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "reports kept in $work"; fi
}
trap cleanup EXIT

h2spec=${H2SPEC:-}
if [ -z "$h2spec" ]; then
	echo "== building h2spec@$version"
	# h2spec has no go.mod of its own: -mod=mod lets the go command pick
	# its dependencies.
	GOBIN="$work/bin" GOFLAGS=-mod=mod go install "github.com/summerwind/h2spec/cmd/h2spec@$version"
	h2spec="$work/bin/h2spec"
fi

echo "== building the servers"
(cd "$root" && go build -o "$work/ours" ./internal/cmd/h2specserver)
(cd "$root/interop/grpcgo" && go build -o "$work/grpcgo" ./h2specserver)

# start NAME: runs $work/NAME and sets addr to the address it listens on.
start() {
	"$work/$1" >"$work/$1.log" 2>&1 &
	pids+=($!)
	addr=
	for _ in $(seq 100); do
		addr=$(sed -n 's/^listening on //p' "$work/$1.log")
		[ -n "$addr" ] && return
		sleep 0.1
	done
	echo "$1 did not start:"; cat "$work/$1.log"; exit 1
}

# run NAME PATH: runs h2spec against server NAME with requests to PATH and
# sets passed, failed and skipped.
run() {
	start "$1"
	local port=${addr##*:}
	echo "== h2spec against $1 ($addr, path $2)"
	# h2spec exits non-zero when a case fails; the counts decide here.
	"$h2spec" -h 127.0.0.1 -p "$port" -P "$2" -o 2 -j "$work/$1.xml" >"$work/$1.txt" 2>&1 || true
	local summary
	summary=$(grep -E '^[0-9]+ tests, [0-9]+ passed' "$work/$1.txt" || true)
	if [ -z "$summary" ]; then echo "h2spec did not finish:"; tail -n 20 "$work/$1.txt"; exit 1; fi
	echo "$summary"
	passed=$(echo "$summary" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	skipped=$(echo "$summary" | sed -E 's/.* ([0-9]+) skipped.*/\1/')
	failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	# The failures section follows the "Failures:" line.
	sed -n '/^Failures:/,$p' "$work/$1.txt" | grep -E '^ +(×|[0-9]+\.|[a-z])' | sed 's/^/    /' >"$work/$1.failures" || true
}

run ours /grpc.e2e.TestService/Unary
ours_passed=$passed ours_failed=$failed
run grpcgo /grpc.testing.TestService/EmptyCall
theirs_passed=$passed theirs_failed=$failed

echo
echo "ours:    $ours_passed passed, $ours_failed failed"
echo "grpc-go: $theirs_passed passed, $theirs_failed failed"
for side in ours grpcgo; do
	if [ -s "$work/$side.failures" ]; then
		echo "-- failing cases ($side):"; cat "$work/$side.failures"
	fi
done
if [ "$ours_passed" -lt "$theirs_passed" ]; then
	echo "FAIL: ours passes fewer h2spec cases than grpc-go"
	exit 1
fi
echo "OK: ours passes at least as many h2spec cases as grpc-go"
