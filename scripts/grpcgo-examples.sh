#!/usr/bin/env bash
#
# grpcgo-examples.sh: run grpc-go's own example programs against this module,
# the way a user switching from grpc-go would, and compare what they print
# with the same programs built against real grpc-go.
#
# How to run:
#   scripts/grpcgo-examples.sh                     # every example (~15 min)
#   scripts/grpcgo-examples.sh features/retry route_guide   # just these
#   scripts/grpcgo-examples.sh -l                  # list the examples
#   SCRATCH=/tmp/examples_x scripts/grpcgo-examples.sh -k features/health
#                                                  # keep builds and outputs
# It needs network access to the Go module proxy (or a warm module cache),
# builds sequentially, and prints one line per example: PASS, FAIL (with the
# diff), or SKIP (the example needs a package this module lacks, or the
# example is not in the fetched examples version). Outputs of a kept run are
# in $SCRATCH/out/{ref,ours}/NAME.{server*,client,status,build} (NAME with
# "/" turned into "_"). To test a tree others are editing, copy it first and
# point GRPC_CHECKOUT at the copy.
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
# Exit status: 0 if every selected example passed or was skipped.

set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
GRPCGO_VERSION=${GRPCGO_VERSION:-v1.85.0}
EXAMPLES_VERSION=${EXAMPLES_VERSION:-v0.0.0-20260825154716-030ee8becb20}
GRPC_CHECKOUT=$(cd "${GRPC_CHECKOUT:-$REPO}" && pwd)
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}

# The examples. One per line, fields separated by "|":
#   name | servers | clients | options | extra sed -E filter (optional)
# Commands are run from the examples module root (where the README says to
# run them). The first word of each command is the package to build; the
# rest are its arguments, in which {PORT}, {PORT2} and {PORT3} are replaced
# by free ports. Several servers (started together, each with its own
# output) or clients (run one after the other, outputs appended) are
# separated by " ; ". An empty server field means the client runs alone.
# Packages under ./zz_grpcgo_examples/ are checks written by this script
# (see write_checks) for examples that have no client of their own.
# Options, separated by spaces:
#   ports=P1,P2   fixed ports the example's servers hard-code: they must
#                 be free before the run, and the servers must accept on
#                 them (ports only a client opens are not listed)
#   unix=NAME     the server listens on the abstract unix socket @NAME
#   timeout=N     the client runs N seconds (an example client that never
#                 exits is stopped with status 124, on both builds)
#   sort          sort the outputs before comparing (map iteration order,
#                 goroutine order, random load-balancing start)
#   sort-server   the same for the servers' outputs only
#   uniq          after sort (if any), squeeze repeated lines
# The filter is applied to every output before comparing, after the standard
# ones (log timestamps removed, the ports replaced by {PORT}...); use it for
# lines that legitimately differ between runs (times, random values, and the
# random spacing protobuf's text format puts after field names).
PROTOTEXT='s/([A-Za-z_]+): +/\1:/g; s/  +/ /g'
EXAMPLES_TABLE='
helloworld|./helloworld/greeter_server -port {PORT}|./helloworld/greeter_client -addr localhost:{PORT}||
features/encryption/TLS|./features/encryption/TLS/server -port {PORT}|./features/encryption/TLS/client -addr localhost:{PORT}||
features/encryption/mTLS|./features/encryption/mTLS/server -port {PORT}|./features/encryption/mTLS/client -addr localhost:{PORT}||
features/authentication|./features/authentication/server -port {PORT}|./features/authentication/client -addr localhost:{PORT}||
features/authz|./features/authz/server -port {PORT}|./features/authz/client -addr localhost:{PORT}||
features/authz:filewatcher|./features/authz/server -port {PORT} -authz-option filewatcher|./features/authz/client -addr localhost:{PORT}||
features/load_balancing|./features/load_balancing/server|./features/load_balancing/client|ports=50051,50052 sort-server|/round_robin/,$ s/\(from :5005[12]\)$/(from either)/
features/name_resolving|./features/name_resolving/server|./features/name_resolving/client|ports=50051|
features/retry|./features/retry/server -port {PORT}|./features/retry/client -addr localhost:{PORT}||
features/wait_for_ready||./features/wait_for_ready|ports=50053|
features/customloadbalancer|./features/customloadbalancer/server|./features/customloadbalancer/client|ports=50050,50051 sort uniq|s/^message: *"this is examples\/customloadbalancing \(from localhost:5005[01]\)"$/RESPONSE/
features/health|./features/health/server -port 50051 -sleep 5s ; ./features/health/server -port 50052 -sleep 10s|./features/health/client|ports=50051,50052 timeout=21 sort uniq|
features/reflection|./features/reflection/server -port {PORT}|./zz_grpcgo_examples/reflection -addr localhost:{PORT}||
features/interceptor|./features/interceptor/server -port {PORT}|./features/interceptor/client -addr localhost:{PORT}||s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})/{TIME}/g
features/metadata_interceptor|./features/metadata_interceptor/server -port {PORT}|./features/metadata_interceptor/client -addr localhost:{PORT}|sort|
features/metadata|./features/metadata/server -port {PORT}|./features/metadata/client -addr localhost:{PORT}||s/[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}/{TIME}/g; '"$PROTOTEXT"'
features/deadline|./features/deadline/server -port {PORT}|./features/deadline/client -addr localhost:{PORT}||
features/cancellation|./features/cancellation/server -port {PORT}|./features/cancellation/client -addr localhost:{PORT}||
features/compression|./features/compression/server -port {PORT}|./features/compression/client -addr localhost:{PORT}||
features/errors|./features/errors/server -port {PORT}|./features/errors/client -addr localhost:{PORT}||
features/error_details|./features/error_details/server -port {PORT}|./features/error_details/client -addr localhost:{PORT} ; ./features/error_details/client -addr localhost:{PORT}||'"$PROTOTEXT"'
features/keepalive|./features/keepalive/server -port {PORT}|./features/keepalive/client -addr localhost:{PORT}|timeout=20|'"$PROTOTEXT"'
features/multiplex|./features/multiplex/server -port {PORT}|./features/multiplex/client -addr localhost:{PORT}||
features/unix_abstract|./features/unix_abstract/server -addr grpcgo-examples-{PORT}|./features/unix_abstract/client -addr grpcgo-examples-{PORT}|unix=grpcgo-examples-{PORT}|
features/debugging|./features/debugging/server|./features/debugging/client -addr localhost:{PORT}|ports=50052,10001,10002,10003 timeout=15 sort uniq|s/code = DeadlineExceeded desc = stream terminated by RST_STREAM with error code: CANCEL$/code = DeadlineExceeded desc = context deadline exceeded/
features/stats_monitoring|./features/stats_monitoring/server -port {PORT}|./features/stats_monitoring/client -addr localhost:{PORT}||s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \+0000 UTC m=\+[0-9.]+/{TIME}/g; s/127\.0\.0\.1:[0-9]+/127.0.0.1:{EPHEMERAL}/g
features/opentelemetry|./features/opentelemetry/server|./features/opentelemetry/client|ports=50051,9464 timeout=8 sort uniq|s/"(TraceID|SpanID|TraceState|StartTime|EndTime|Time|Value|DroppedAttributes)": .*/"\1": X/; s/[0-9a-f]{16,32}/{ID}/g
features/orca|./features/orca/server -port {PORT}|./features/orca/client -addr localhost:{PORT} -test||
features/dualstack|./features/dualstack/server|./features/dualstack/client|ports=50051,50052,50053 sort uniq|s/request:[0-9]+ from/request:N from/
route_guide|./route_guide/server -port {PORT}|./route_guide/client -addr localhost:{PORT}||s/^Traversing [0-9]+ points\.$/Traversing N points./; s/^Route summary: .*/Route summary: X/; '"$PROTOTEXT"'
'
keep=false
list=false
while getopts "kl" opt; do
  case $opt in
    k) keep=true ;;
    l) list=true ;;
    *) sed -n '3,/^set -uo/p' "$0" | sed -n 's/^# \{0,1\}//p'; exit 2 ;;
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
server_pids=()
cleanup() {
  stop_servers
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

# write_checks DIR writes, into the examples copy DIR, small clients for
# examples that have none (built from there like the examples).
write_checks() {
  mkdir -p "$1/zz_grpcgo_examples/reflection" || return 1
  # reflection: what grpcurl would show, through the v1 reflection service.
  cat >"$1/zz_grpcgo_examples/reflection/main.go" <<'EOF'
// Binary reflection lists a server's services and describes them through
// the grpc.reflection.v1 service, like `grpcurl list` / `grpcurl describe`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

var addr = flag.String("addr", "localhost:50051", "the address to connect to")

func main() {
	flag.Parse()
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatalf("grpc.NewClient: %v", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		log.Fatalf("ServerReflectionInfo: %v", err)
	}
	ask := func(req *rpb.ServerReflectionRequest) *rpb.ServerReflectionResponse {
		if err := stream.Send(req); err != nil {
			log.Fatalf("Send: %v", err)
		}
		resp, err := stream.Recv()
		if err != nil {
			log.Fatalf("Recv: %v", err)
		}
		return resp
	}
	resp := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	sort.Strings(names)
	fmt.Println("services:")
	for _, n := range names {
		fmt.Println("  " + n)
	}
	for _, sym := range append(names, "helloworld.HelloRequest", "grpc.examples.echo.EchoRequest", "no.such.Symbol") {
		resp := ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: sym}})
		if e := resp.GetErrorResponse(); e != nil {
			fmt.Printf("%s: error code %d: %s\n", sym, e.GetErrorCode(), e.GetErrorMessage())
			continue
		}
		fmt.Printf("%s: in files", sym)
		for _, b := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
			var fd descriptorpb.FileDescriptorProto
			if err := proto.Unmarshal(b, &fd); err != nil {
				log.Fatalf("bad descriptor: %v", err)
			}
			fmt.Printf(" %s(package %s, %d services, %d messages, deps %v)", fd.GetName(), fd.GetPackage(), len(fd.GetService()), len(fd.GetMessageType()), fd.GetDependency())
			for _, sd := range fd.GetService() {
				for _, m := range sd.GetMethod() {
					fmt.Printf(" %s.%s(%s)->%s", sd.GetName(), m.GetName(), m.GetInputType(), m.GetOutputType())
				}
			}
		}
		fmt.Println()
	}
	resp = ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileByFilename{FileByFilename: "no/such/file.proto"}})
	fmt.Printf("no/such/file.proto: error code %d: %s\n", resp.GetErrorResponse().GetErrorCode(), resp.GetErrorResponse().GetErrorMessage())
	resp = ask(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_AllExtensionNumbersOfType{AllExtensionNumbersOfType: "helloworld.HelloRequest"}})
	fmt.Printf("extensions of helloworld.HelloRequest: %v %v\n", resp.GetAllExtensionNumbersResponse().GetExtensionNumber(), resp.GetErrorResponse().GetErrorMessage())
}
EOF
}

# prepare VARIANT sets up a copy of the examples module for one build.
prepare() {
  local dir=$SCRATCH/$1
  rm -rf "$dir" "$SCRATCH/bin/$1"
  cp -r "$src" "$dir" && chmod -R u+w "$dir" || return 1
  write_checks "$dir" || return 1
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
# on first use; build errors go to stderr (and to the .build log) and make it
# fail.
binary() {
  local out=$SCRATCH/bin/$1/${2//\//_}
  if [ ! -x "$out" ]; then
    mkdir -p "$SCRATCH/bin/$1"
    (cd "$SCRATCH/$1" && go build -mod=mod -o "$out" "$2") 2>"$out.buildlog"
    local rc=$?
    cat "$out.buildlog" >&2
    [ $rc -eq 0 ] || return 1
  fi
  printf '%s\n' "$out"
}

# port_in_use PORT: something accepts on localhost:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null
}

# free_port prints a loopback TCP port nothing listens on. It is drawn below
# Linux's default ephemeral range (32768+), where outgoing connections would
# make binding it fail, and above the ports the examples hard-code.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((12000 + RANDOM % 20000))
    if ! port_in_use "$p"; then
      printf '%s\n' "$p"
      return
    fi
  done
  echo 31999
}

# unix_listening NAME: something listens on the abstract unix socket @NAME.
unix_listening() { grep -q " @$1\$" /proc/net/unix 2>/dev/null; }

# servers_alive: every server started is still running.
servers_alive() {
  local p
  for p in "${server_pids[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}

# wait_ready PORTS UNIX waits up to 30s for every port in PORTS to accept on
# localhost and for the abstract socket UNIX (if any) to listen.
wait_ready() {
  local deadline=$((SECONDS + 30)) p ok
  while [ $SECONDS -lt $deadline ]; do
    ok=true
    for p in $1; do port_in_use "$p" || { ok=false; break; }; done
    if $ok && [ -n "$2" ]; then unix_listening "$2" || ok=false; fi
    $ok && return 0
    servers_alive || return 1
    sleep 0.1
  done
  return 1
}

# normalize PORTS FILTER SORT UNIQ: standard filtering of an output, then
# FILTER, then sorting and squeezing repeated lines if asked.
normalize() {
  # protobuf-go's errors and text format randomly use U+00A0 for a space.
  local -a e=(-e 's#^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)? ##' -e $'s#\xc2\xa0# #g')
  local i=1 p
  for p in $1; do
    if [ $i -eq 1 ]; then e+=(-e "s#\\b$p\\b#{PORT}#g"); else e+=(-e "s#\\b$p\\b#{PORT$i}#g"); fi
    i=$((i + 1))
  done
  sed -E "${e[@]}" |
    if [ -n "$2" ]; then sed -E -e "$2"; else cat; fi |
    if [ "$3" = true ]; then LC_ALL=C sort; else cat; fi |
    if [ "$4" = true ]; then uniq; else cat; fi
}

# split_cmds FIELD: the " ; "-separated commands of a table field, one a line.
split_cmds() { sed -e 's/ ; /\n/g' <<<"$1" | sed -e 's/^ *//; s/ *$//' | grep -v '^$'; }

stop_servers() {
  local p
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${server_pids[@]}"; do wait "$p" 2>/dev/null; done
  server_pids=()
}

# run_example VARIANT NAME SERVERS CLIENTS: runs one example and leaves
# $SCRATCH/out/VARIANT/NAME.{serverN,client,status,port,build}.
run_example() {
  local v=$1 name=$2 scmds=$3 ccmds=$4
  local out=$SCRATCH/out/$v/${name//\//_}
  mkdir -p "$(dirname "$out")"
  rm -f "$out".server* "$out.build"
  : >"$out.client"
  : >"$out.port"
  local -a servers clients args
  local c b attempt ports waitports unixname i ok rc st
  mapfile -t servers < <(split_cmds "$scmds")
  mapfile -t clients < <(split_cmds "$ccmds")
  # Build everything first; a build failure is the example's outcome.
  for c in "${servers[@]}" "${clients[@]}"; do
    read -r -a args <<<"$c"
    if ! binary "$v" "${args[0]}" >/dev/null; then
      cat "$SCRATCH/bin/$v/${args[0]//\//_}.buildlog" >>"$out.build"
      echo "build failed: ${args[0]}" >"$out.status"
      return
    fi
  done
  for attempt in 1 2 3; do
    # Hard-coded ports must be free (another run, by us or someone else on
    # the machine, may be holding them for a while).
    for i in $(seq 1 60); do
      ok=true
      for p in ${opt_ports//,/ }; do port_in_use "$p" && { ok=false; break; }; done
      $ok && break
      sleep 1
    done
    if ! $ok; then
      echo "port busy: one of $opt_ports was in use for a minute" >"$out.status"
      return
    fi
    ports="$(free_port) $(free_port) $(free_port)"
    read -r p1 p2 p3 <<<"$ports"
    echo "$ports" >"$out.port"
    subst() { local s=${1//\{PORT\}/$p1}; s=${s//\{PORT2\}/$p2}; printf '%s' "${s//\{PORT3\}/$p3}"; }
    [ ${#servers[@]} -eq 0 ] && break
    i=0
    for c in "${servers[@]}"; do
      read -r -a args <<<"$(subst "$c")"
      b=$SCRATCH/bin/$v/${args[0]//\//_}
      (cd "$SCRATCH/$v" && exec "$b" "${args[@]:1}") >"$out.server$i" 2>&1 &
      server_pids+=($!)
      i=$((i + 1))
    done
    waitports=${opt_ports//,/ }
    [ -z "$opt_unix" ] && grep -q '{PORT}' <<<"$scmds" && waitports="$waitports $p1"
    unixname=$(subst "$opt_unix")
    if [ -z "$waitports" ] && [ -z "$unixname" ]; then sleep 1; fi
    wait_ready "$waitports" "$unixname" && servers_alive && break
    stop_servers
    if [ $attempt -eq 3 ]; then
      echo "server did not start" >"$out.status"
      return
    fi
    [ -n "$opt_ports" ] && sleep 3
  done
  st=
  for c in "${clients[@]}"; do
    read -r -a args <<<"$(subst "$c")"
    b=$SCRATCH/bin/$v/${args[0]//\//_}
    if [ -n "$opt_timeout" ]; then
      (cd "$SCRATCH/$v" && timeout "$opt_timeout" "$b" "${args[@]:1}") >>"$out.client" 2>&1
    else
      (cd "$SCRATCH/$v" && timeout "$CLIENT_TIMEOUT" "$b" "${args[@]:1}") >>"$out.client" 2>&1
    fi
    rc=$?
    st="$st${st:+, }$rc"
  done
  echo "client exit $st" >"$out.status"
  stop_servers
}

# parse_options OPTIONS sets opt_* from a table entry's options field.
parse_options() {
  opt_ports= opt_unix= opt_timeout= opt_sort=false opt_sort_server=false opt_uniq=false
  local o
  for o in $1; do
    case $o in
      ports=*) opt_ports=${o#ports=} ;;
      unix=*) opt_unix=${o#unix=} ;;
      timeout=*) opt_timeout=${o#timeout=} ;;
      sort) opt_sort=true opt_sort_server=true ;;
      sort-server) opt_sort_server=true ;;
      uniq) opt_uniq=true ;;
      *) echo "unknown option $o" >&2; exit 2 ;;
    esac
  done
}

pass=0
fail=0
skip=0
for name in "${names[@]}"; do
  IFS='|' read -r _ scmd ccmd opts filter <<<"$(entry "$name")"
  parse_options "$opts"
  # Examples come and go between versions of the examples module.
  missing=
  for c in $(split_cmds "$scmd" | awk '{print $1}') $(split_cmds "$ccmd" | awk '{print $1}'); do
    case $c in ./zz_grpcgo_examples/*) continue ;; esac
    [ -d "$src/${c#./}" ] || missing="$missing ${c#./}"
  done
  if [ -n "$missing" ]; then
    echo "SKIP $name (not in examples@$EXAMPLES_VERSION:$missing)"
    skip=$((skip + 1))
    continue
  fi
  for v in ref ours; do
    log "$name: running the $v build"
    run_example "$v" "$name" "$scmd" "$ccmd"
  done
  r=$SCRATCH/out/ref/${name//\//_}
  o=$SCRATCH/out/ours/${name//\//_}
  # A package grpc-go has and this module does not (yet): not a failure of
  # what exists, but kept in the table so it runs once the package exists.
  if grep -q '^build failed' "$o.status" && grep -q '^client exit' "$r.status"; then
    # The packages the example imports (errors in files of other modules
    # are consequences), and those Go fell back to fetching as separate
    # modules because this one lacks them.
    pkgs=$( {
      grep -E '^[^/].*does not contain package google\.golang\.org/grpc/' "$o.build" |
        grep -oE 'does not contain package google\.golang\.org/grpc/[^ ]+'
      grep -oE '^go: found google\.golang\.org/grpc/[^ ]+ in' "$o.build" | sed 's/ in$//'
    } 2>/dev/null | sed 's/.*google\.golang\.org\/grpc\///' | sort -u | tr '\n' ' ')
    if [ -n "$pkgs" ]; then
      echo "SKIP $name (missing package ${pkgs% })"
      skip=$((skip + 1))
      continue
    fi
  fi
  problems=()
  if ! grep -q '^client exit' "$r.status"; then
    problems+=("the reference build could not run: $(cat "$r.status")")
  fi
  if ! diff <(cat "$r.status") <(cat "$o.status") >/dev/null; then
    problems+=("status: grpc-go '$(cat "$r.status")', ours '$(cat "$o.status")'")
    [ -s "$o.build" ] && problems+=("build log (ours):"$'\n'"$(head -n 20 "$o.build")")
  fi
  parts=(client)
  for f in "$r".server* "$o".server*; do
    [ -e "$f" ] || continue
    f=${f##*.}
    [[ " ${parts[*]} " == *" $f "* ]] || parts+=("$f")
  done
  # Outputs of a build that failed tell nothing more.
  grep -q '^build failed' "$o.status" && parts=()
  for part in "${parts[@]}"; do
    sorted=$opt_sort
    [ "$part" = client ] || sorted=$opt_sort_server
    d=$(diff -u --label "grpc-go $part" --label "ours $part" \
      <(normalize "$(cat "$r.port")" "$filter" "$sorted" "$opt_uniq" 2>/dev/null <"$r.$part") \
      <(normalize "$(cat "$o.port")" "$filter" "$sorted" "$opt_uniq" 2>/dev/null <"$o.$part"))
    [ -n "$d" ] && problems+=("$part output differs:"$'\n'"$d")
  done
  if [ ${#problems[@]} -eq 0 ]; then
    note=
    # Identical failures still count as a pass: the example exits non-zero
    # by design (error_details) or is broken at this version, and ours must
    # do the same.
    grep -qE '^client exit (0|124)(, (0|124))*$' "$r.status" || note=" (same as grpc-go: $(cat "$r.status"))"
    echo "PASS $name$note"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    for p in "${problems[@]}"; do printf '    %s\n' "${p//$'\n'/$'\n'    }"; done
    fail=$((fail + 1))
  fi
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
