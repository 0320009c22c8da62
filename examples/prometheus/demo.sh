#!/usr/bin/env bash
# Builds the Prometheus example, runs it with -serve (a Greeter server and
# client instrumented with stats/opentelemetry, exposing /metrics), makes
# it send a few RPCs, scrapes /metrics with curl and prints the grpc_*
# series (without the histogram buckets, unless -v is given). The program
# is stopped on exit, also when a step fails. Run from anywhere:
#
#   examples/prometheus/demo.sh [-v] [rpcs]
set -euo pipefail

verbose=false
if [[ "${1:-}" == "-v" ]]; then
	verbose=true
	shift
fi
rpcs=${1:-5}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pid=""

cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cd "$root/examples"
go build -o "$work/prometheus" ./prometheus

"$work/prometheus" -serve -rpcs "$rpcs" -metrics_addr localhost:0 >"$work/log" 2>&1 &
pid=$!

url=""
for _ in $(seq 100); do
	if grep -q "serving .* until interrupted" "$work/log"; then
		url=$(sed -n 's/.*metrics at \(http:[^ ]*\)$/\1/p' "$work/log")
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [[ -z "$url" ]]; then
	echo "demo: the program did not start:" >&2
	cat "$work/log" >&2
	exit 1
fi
sed 's/^/log: /' "$work/log"

# The server records a call's end just after the client sees it; give the
# last one a moment.
sleep 0.2
echo "curl $url"
if $verbose; then
	curl -fsS "$url" | grep '^grpc_'
else
	curl -fsS "$url" | grep '^grpc_' | grep -v '_bucket{'
fi
