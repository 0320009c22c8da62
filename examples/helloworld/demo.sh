#!/usr/bin/env bash
# Builds the hello-world server and client, starts the server on a free port,
# greets it once with the client, prints the greeting, and stops the server
# (also when a step fails). Run from anywhere:
#
#   examples/helloworld/demo.sh [name]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server_pid=""

cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cd "$root/examples"
go build -o "$work/" ./helloworld/greeter_server ./helloworld/greeter_client

# Port 0: the kernel picks a free port, and the server logs the one it got.
"$work/greeter_server" -port 0 >"$work/server.log" 2>&1 &
server_pid=$!

port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*server listening at .*:\([0-9][0-9]*\)$/\1/p' "$work/server.log")
	[[ -n "$port" ]] && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
if [[ -z "$port" ]]; then
	echo "demo: the server did not start:" >&2
	cat "$work/server.log" >&2
	exit 1
fi

"$work/greeter_client" -addr "localhost:$port" -name "${1:-world}" 2>&1 | sed 's/^/client: /'

kill -TERM "$server_pid"
wait "$server_pid"
server_pid=""
sed 's/^/server: /' "$work/server.log"
