#!/usr/bin/env bash
#
# grpcgo-examples.sh: run grpc-go's own example programs against this module,
# the way a user switching from grpc-go would, and compare what they print
# with the same programs built against real grpc-go.
#
# Usage: scripts/grpcgo-examples.sh [-k] [-l] [EXAMPLE ...]
#   EXAMPLE  a name from the table below (default: all of them)
#   -l       list the known examples and exit
#   -k       keep the scratch folder (its path is printed)
#
# Environment:
#   GRPCGO_VERSION    grpc-go release to compare with (default v1.85.0)
#   EXAMPLES_VERSION  version of the module google.golang.org/grpc/examples to
#                     fetch (default: see below)
#   GRPC_CHECKOUT     the implementation under test (default: this checkout)
#   SCRATCH           scratch folder (default: a new temporary folder)
#   CLIENT_TIMEOUT    seconds a client may run (default 60)
#
# The examples module is not tagged with grpc-go's releases, so the module
# proxy only knows it by pseudo-versions (commits of grpc-go's master). The
# default is the newest one the proxy serves; it is older than v1.85.0 (it
# requires v1.81.1 and used `replace ../` to build against its own tree).
# Both builds here override that: one requires GRPCGO_VERSION, the other
# replaces google.golang.org/grpc with GRPC_CHECKOUT. Their other `=> ../`
# replaces (gcp/observability, stats/opentelemetry) are dropped so those come
# from the proxy at the versions the examples' go.mod requires.
#
# Nothing from grpc-go is kept in this repository: it is fetched each run.
# Exit status: 0 if every selected example passed.

set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
GRPCGO_VERSION=${GRPCGO_VERSION:-v1.85.0}
EXAMPLES_VERSION=${EXAMPLES_VERSION:-v0.0.0-20260825154716-030ee8becb20}
GRPC_CHECKOUT=$(cd "${GRPC_CHECKOUT:-$REPO}" && pwd)
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}

# The examples. One per line, fields separated by "|":
#   name | server command | client command | extra sed -E filter (optional)
# Commands are run from the examples module root (where the README says to
# run them). The first word of each command is the package to build; the
# rest are its arguments, in which {PORT} is replaced by a free port. An
# empty server command means the client runs alone. The filter is applied to
# both outputs before comparing, after the standard ones (log timestamps
# removed, the port replaced by {PORT}); use it for lines that legitimately
# differ between runs (addresses, durations, random values).
EXAMPLES_TABLE='
helloworld|./helloworld/greeter_server -port {PORT}|./helloworld/greeter_client -addr localhost:{PORT}|
features/encryption/TLS|./features/encryption/TLS/server -port {PORT}|./features/encryption/TLS/client -addr localhost:{PORT}|
features/encryption/mTLS|./features/encryption/mTLS/server -port {PORT}|./features/encryption/mTLS/client -addr localhost:{PORT}|
features/authentication|./features/authentication/server -port {PORT}|./features/authentication/client -addr localhost:{PORT}|
features/authz|./features/authz/server -port {PORT}|./features/authz/client -addr localhost:{PORT}|
features/authz:filewatcher|./features/authz/server -port {PORT} -authz-option filewatcher|./features/authz/client -addr localhost:{PORT}|
'

keep=false
list=false
while getopts "kl" opt; do
  case $opt in
    k) keep=true ;;
    l) list=true ;;
    *) sed -n '3,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

# entry NAME prints the table line for NAME.
entry() {
  grep -F "$1|" <<<"$EXAMPLES_TABLE" | while IFS= read -r l; do
    [[ ${l%%|*} == "$1" ]] && printf '%s\n' "$l"
  done | head -n1
}
all_names() { grep -v '^$' <<<"$EXAMPLES_TABLE" | cut -d'|' -f1; }

if $list; then
  all_names
  exit 0
fi

if [ $# -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(all_names)
fi
for n in "${names[@]}"; do
  if [ -z "$(entry "$n")" ]; then
    echo "unknown example $n; known:" >&2
    all_names >&2
    exit 2
  fi
done

SCRATCH=${SCRATCH:-$(mktemp -d -t grpcgo-examples.XXXXXX)}
mkdir -p "$SCRATCH"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if $keep; then
    echo "scratch folder kept: $SCRATCH"
  else
    chmod -R u+w "$SCRATCH" 2>/dev/null
    rm -rf "$SCRATCH"
  fi
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

# --- fetch the examples module -------------------------------------------
log "fetching google.golang.org/grpc/examples@$EXAMPLES_VERSION"
mkdir -p "$SCRATCH/fetch"
dl=$(cd "$SCRATCH/fetch" && go mod download -json "google.golang.org/grpc/examples@$EXAMPLES_VERSION")
src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$dl")
if [ -z "$src" ] || [ ! -d "$src" ]; then
  echo "cannot fetch the examples module:" >&2
  echo "$dl" >&2
  exit 1
fi

# prepare VARIANT sets up a copy of the examples module for one build.
prepare() {
  local dir=$SCRATCH/$1
  rm -rf "$dir"
  cp -r "$src" "$dir" && chmod -R u+w "$dir" || return 1
  (
    cd "$dir" || exit 1
    # Relative replaces point into grpc-go's tree, which is not here.
    grep -E '=>[[:space:]]*\.\.?/' go.mod | sed -E 's/^[[:space:]]*(replace[[:space:]]+)?//' | awk '{print $1}' |
      while read -r m; do go mod edit -dropreplace="$m" || exit 1; done
    go mod edit -require="google.golang.org/grpc@$GRPCGO_VERSION" || exit 1
    if [ "$1" = ours ]; then
      go mod edit -replace="google.golang.org/grpc=$GRPC_CHECKOUT" || exit 1
    fi
  )
}

for v in ref ours; do
  log "preparing the $v build"
  prepare "$v" || { echo "cannot prepare the $v copy" >&2; exit 1; }
done

# binary VARIANT PKG prints the path of PKG's binary in VARIANT, building it
# on first use; build errors go to stderr and make it fail.
binary() {
  local out=$SCRATCH/bin/$1/${2//\//_}
  if [ ! -x "$out" ]; then
    mkdir -p "$SCRATCH/bin/$1"
    (cd "$SCRATCH/$1" && go build -mod=mod -o "$out" "$2") >&2 || return 1
  fi
  printf '%s\n' "$out"
}

# free_port prints a loopback TCP port nothing listens on. It is drawn below
# Linux's default ephemeral range (32768+), where outgoing connections would
# make binding it fail.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((12000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/::1/$p") 2>/dev/null; then
      printf '%s\n' "$p"
      return
    fi
  done
  echo 50051
}

# wait_port PORT waits up to 30s for something to accept on localhost:PORT.
wait_port() {
  local deadline=$((SECONDS + 30))
  while [ $SECONDS -lt $deadline ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null; then
      return 0
    fi
    if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then
      return 1
    fi
    sleep 0.1
  done
  return 1
}

# normalize PORT FILTER: standard filtering of an output, then FILTER.
normalize() {
  sed -E -e 's#^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? ##' -e "s#\\b$1\\b#{PORT}#g" |
    if [ -n "$2" ]; then sed -E -e "$2"; else cat; fi
}

# run_example VARIANT NAME SERVER CLIENT: runs one pair and leaves
# $SCRATCH/out/VARIANT/NAME.{server,client,status}.
run_example() {
  local v=$1 name=$2 scmd=$3 ccmd=$4
  local out=$SCRATCH/out/$v/${name//\//_}
  mkdir -p "$(dirname "$out")"
  : >"$out.server"
  : >"$out.client"
  local port sbin cbin attempt
  local -a sargs cargs
  read -r -a sargs <<<"$scmd"
  read -r -a cargs <<<"$ccmd"
  cbin=$(binary "$v" "${cargs[0]}") || { echo "build failed: ${cargs[0]}" >"$out.status"; return; }
  if [ ${#sargs[@]} -gt 0 ]; then
    sbin=$(binary "$v" "${sargs[0]}") || { echo "build failed: ${sargs[0]}" >"$out.status"; return; }
  fi
  # Another process on the machine may take the chosen port before the
  # server binds it, so a server that does not come up gets a second and
  # third try on other ports.
  for attempt in 1 2 3; do
    port=$(free_port)
    echo "$port" >"$out.port"
    [ ${#sargs[@]} -eq 0 ] && break
    read -r -a sargs <<<"${scmd//\{PORT\}/$port}"
    (cd "$SCRATCH/$v" && exec "$sbin" "${sargs[@]:1}") >"$out.server" 2>&1 &
    server_pid=$!
    # A server that died after the port answered did not bind it: something
    # else did.
    wait_port "$port" && kill -0 "$server_pid" 2>/dev/null && break
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
    if [ $attempt -eq 3 ]; then
      echo "server did not start" >"$out.status"
      return
    fi
  done
  read -r -a cargs <<<"${ccmd//\{PORT\}/$port}"
  (cd "$SCRATCH/$v" && timeout "$CLIENT_TIMEOUT" "$cbin" "${cargs[@]:1}") >"$out.client" 2>&1
  echo "client exit $?" >"$out.status"
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  fi
}

pass=0
fail=0
for name in "${names[@]}"; do
  IFS='|' read -r _ scmd ccmd filter <<<"$(entry "$name")"
  for v in ref ours; do
    log "$name: running the $v build"
    run_example "$v" "$name" "$scmd" "$ccmd"
  done
  r=$SCRATCH/out/ref/${name//\//_}
  o=$SCRATCH/out/ours/${name//\//_}
  problems=()
  if ! grep -q '^client exit' "$r.status"; then
    problems+=("the reference build could not run: $(cat "$r.status")")
  fi
  if ! diff <(cat "$r.status") <(cat "$o.status") >/dev/null; then
    problems+=("status: grpc-go '$(cat "$r.status")', ours '$(cat "$o.status")'")
  fi
  for part in client server; do
    d=$(diff -u --label "grpc-go $part" --label "ours $part" \
      <(normalize "$(cat "$r.port")" "$filter" <"$r.$part" 2>/dev/null) \
      <(normalize "$(cat "$o.port")" "$filter" <"$o.$part" 2>/dev/null))
    [ -n "$d" ] && problems+=("$part output differs:"$'\n'"$d")
  done
  if [ ${#problems[@]} -eq 0 ]; then
    note=
    # Identical failures still count as a pass: the example itself is
    # broken at this version, and ours must break the same way.
    grep -qx 'client exit 0' "$r.status" || note=" (grpc-go's build also fails: $(cat "$r.status"))"
    echo "PASS $name$note"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    for p in "${problems[@]}"; do printf '    %s\n' "${p//$'\n'/$'\n'    }"; done
    fail=$((fail + 1))
  fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
