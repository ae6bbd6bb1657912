#!/usr/bin/env bash
# The project's whole check, as CI runs it (.ci/run calls this script).
#
#   scripts/test.sh            every step
#   scripts/test.sh vet test   only the named steps (see STEPS below)
#   scripts/test.sh bench      the benchmarks of docs/benchmarks.md (not a
#                              default step: numbers are read, not checked)
#
# It installs redis-server, redis-tools and memcached with apt-get when they
# are missing (and chromium, for the e2e step), starts on loopback one Redis node (port 16379), two memcached
# (21211, 21212) and a Redis Cluster of three masters with a replica each
# (17000-17005), exports
# RING_REDIS_ADDR, RING_REDIS_CLUSTER_ADDRS and RING_MEMCACHE_ADDRS for the
# tests, runs the steps, and stops what it started when it exits. A server
# group whose variable is already set is not started: the tests use the
# servers the variable names.
#
# Every step runs even when an earlier one failed; the script exits non-zero
# if any failed. Works from any directory, with no stdin (CI=true).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

REDIS_PORT=16379
MEMCACHE_PORTS=(21211 21212)
CLUSTER_PORTS=(17000 17001 17002 17003 17004 17005) # 3 masters, 1 replica each
SENTINEL_PORT=26380
SENTINEL_MASTER=ringmaster

# The steps, in order. To add one, write a function step_NAME and add NAME.
STEPS=(gofmt vet staticcheck generate test examples e2e tidy peers otel)
# Steps that need the servers.
SERVER_STEPS=" test examples bench peers otel "

# ---------------------------------------------------------------- helpers

header() { printf '\n=== %s ===\n' "$*"; }
note() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
	note "$*"
	exit 1
}

PIDS=()
TMPDIRS=()

cleanup() {
	local rc=$?
	trap - EXIT
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	local d
	for d in "${TMPDIRS[@]}"; do rm -rf "$d"; done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free() {
	local port=$1 what=$2
	if port_in_use "$port"; then
		die "port $port (for $what) is already taken by another process; stop it (see: ss -ltnp 'sport = :$port') or set the RING_* variable to use an existing server"
	fi
}

# start_bg LOG CMD...: runs CMD in the background, output to LOG.
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	PIDS+=("$!")
	LAST_PID=$!
}

# wait_until DESCRIPTION PID LOG CMD...: retries CMD (up to 10 s) until it
# succeeds; fails with the server's log when it never does or PID died.
wait_until() {
	local what=$1 pid=$2 log=$3
	shift 3
	local i
	for ((i = 0; i < 100; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			note "$what exited; its log:"
			cat "$log" >&2 || true
			die "$what did not start"
		fi
		sleep 0.1
	done
	note "$what does not answer after 10 s; its log:"
	cat "$log" >&2 || true
	die "$what did not start"
}

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

memcached_ping() (
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'version\r\n' >&3
	IFS= read -r -t 2 line <&3
	[[ $line == VERSION* ]]
)

# cluster_ok: every node reports cluster_state:ok and every replica is in
# sync with its master.
cluster_ok() {
	local port repl
	for port in "${CLUSTER_PORTS[@]}"; do
		redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
		repl=$(redis-cli -h 127.0.0.1 -p "$port" info replication 2>/dev/null) || return 1
		if grep -q '^role:slave' <<<"$repl"; then
			grep -q '^master_link_status:up' <<<"$repl" || return 1
		fi
	done
}

# ---------------------------------------------------------------- servers

install_servers() {
	local need=()
	command -v redis-server >/dev/null || need+=(redis-server)
	command -v redis-cli >/dev/null || need+=(redis-tools)
	command -v memcached >/dev/null || need+=(memcached)
	[ ${#need[@]} -eq 0 ] && return 0
	header "install ${need[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "missing ${need[*]} and not root: install them (apt-get install ${need[*]})"
		sudo=(sudo)
	fi
	"${sudo[@]}" apt-get update </dev/null
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" </dev/null
}

# redis_cmd PORT DIR: sets REDIS_CMD to a redis-server command line with no
# persistence, listening on loopback only.
redis_cmd() {
	REDIS_CMD=(redis-server --port "$1" --bind 127.0.0.1 --dir "$2"
		--save '' --appendonly no --daemonize no --logfile '')
}

start_redis() {
	[ -n "${RING_REDIS_ADDR:-}" ] && { note "using RING_REDIS_ADDR=$RING_REDIS_ADDR"; return 0; }
	require_free "$REDIS_PORT" "redis"
	local dir
	dir=$(mktemp -d -t ring-redis.XXXXXX)
	TMPDIRS+=("$dir")
	redis_cmd "$REDIS_PORT" "$dir"
	start_bg "$dir/log" "${REDIS_CMD[@]}"
	wait_until "redis-server on port $REDIS_PORT" "$LAST_PID" "$dir/log" redis_ping "$REDIS_PORT"
	export RING_REDIS_ADDR="127.0.0.1:$REDIS_PORT"
}

start_memcached() {
	[ -n "${RING_MEMCACHE_ADDRS:-}" ] && { note "using RING_MEMCACHE_ADDRS=$RING_MEMCACHE_ADDRS"; return 0; }
	local user=() addrs=() port dir
	[ "$(id -u)" -eq 0 ] && user=(-u root)
	dir=$(mktemp -d -t ring-memcached.XXXXXX)
	TMPDIRS+=("$dir")
	for port in "${MEMCACHE_PORTS[@]}"; do
		require_free "$port" "memcached"
		start_bg "$dir/$port.log" memcached -p "$port" -U 0 -l 127.0.0.1 -m 64 "${user[@]}"
		wait_until "memcached on port $port" "$LAST_PID" "$dir/$port.log" memcached_ping "$port"
		addrs+=("127.0.0.1:$port")
	done
	RING_MEMCACHE_ADDRS=$(IFS=,; echo "${addrs[*]}")
	export RING_MEMCACHE_ADDRS
}

start_cluster() {
	[ -n "${RING_REDIS_CLUSTER_ADDRS:-}" ] && { note "using RING_REDIS_CLUSTER_ADDRS=$RING_REDIS_CLUSTER_ADDRS"; return 0; }
	local port dir nodes=()
	for port in "${CLUSTER_PORTS[@]}"; do require_free "$port" "redis cluster"; done
	for port in "${CLUSTER_PORTS[@]}"; do
		dir=$(mktemp -d -t "ring-cluster-$port.XXXXXX")
		TMPDIRS+=("$dir")
		redis_cmd "$port" "$dir"
		start_bg "$dir/log" "${REDIS_CMD[@]}" \
			--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
			--repl-diskless-sync-delay 0
		wait_until "cluster node on port $port" "$LAST_PID" "$dir/log" redis_ping "$port"
		nodes+=("127.0.0.1:$port")
	done
	redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes </dev/null >"$dir/create.log" 2>&1 ||
		{ cat "$dir/create.log" >&2; die "redis-cli --cluster create failed"; }
	local i
	for ((i = 0; i < 100; i++)); do
		cluster_ok && break
		sleep 0.1
	done
	cluster_ok || die "the cluster on ports ${CLUSTER_PORTS[*]} is not cluster_state:ok with its replicas in sync after 10 s"
	RING_REDIS_CLUSTER_ADDRS=$(IFS=,; echo "${nodes[*]}")
	export RING_REDIS_CLUSTER_ADDRS
}

sentinel_ok() {
	redis-cli -h 127.0.0.1 -p "$SENTINEL_PORT" sentinel get-master-addr-by-name "$SENTINEL_MASTER" 2>/dev/null | grep -q .
}

# start_sentinel: a Sentinel (redis-server --sentinel) watching the Redis
# node, so that the Sentinel client path is tested against a real one.
start_sentinel() {
	[ -n "${RING_REDIS_SENTINEL_ADDRS:-}" ] && { note "using RING_REDIS_SENTINEL_ADDRS=$RING_REDIS_SENTINEL_ADDRS"; return 0; }
	require_free "$SENTINEL_PORT" "redis sentinel"
	local dir host port
	dir=$(mktemp -d -t ring-sentinel.XXXXXX)
	TMPDIRS+=("$dir")
	host=${RING_REDIS_ADDR%:*}
	port=${RING_REDIS_ADDR##*:}
	cat >"$dir/sentinel.conf" <<-CONF
		port $SENTINEL_PORT
		bind 127.0.0.1
		dir $dir
		sentinel monitor $SENTINEL_MASTER $host $port 1
		sentinel down-after-milliseconds $SENTINEL_MASTER 60000
	CONF
	start_bg "$dir/log" redis-server "$dir/sentinel.conf" --sentinel
	wait_until "redis sentinel on port $SENTINEL_PORT" "$LAST_PID" "$dir/log" sentinel_ok
	export RING_REDIS_SENTINEL_ADDRS="127.0.0.1:$SENTINEL_PORT"
	export RING_REDIS_SENTINEL_MASTER=$SENTINEL_MASTER
}

start_servers() {
	header "servers"
	install_servers
	start_redis
	start_sentinel
	start_memcached
	start_cluster
	echo "RING_REDIS_ADDR=$RING_REDIS_ADDR"
	echo "RING_REDIS_SENTINEL_ADDRS=$RING_REDIS_SENTINEL_ADDRS (master $RING_REDIS_SENTINEL_MASTER)"
	echo "RING_REDIS_CLUSTER_ADDRS=$RING_REDIS_CLUSTER_ADDRS"
	echo "RING_MEMCACHE_ADDRS=$RING_MEMCACHE_ADDRS"
}

# ---------------------------------------------------------------- steps
# Each step runs in a subshell with set -e; a non-zero status fails it.

step_gofmt() {
	local out
	out=$(gofmt -l .)
	if [ -n "$out" ]; then
		echo "gofmt would change:"
		echo "$out"
		return 1
	fi
}

step_vet() { go vet ./...; }

# staticcheck at an exact version, run with go run so that it stays out of
# the library's module graph and every fresh machine runs the same checks.
STATICCHECK_VERSION=v0.8.2 # staticcheck 2026.2.2

step_staticcheck() { go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./...; }

# go generate must leave no diff: the generated typed API (typed_gen.go) is
# in sync with its generator.
step_generate() {
	local before after
	before=$(git ls-files -co --exclude-standard -- '*.go' | sort | xargs sha256sum)
	go generate ./...
	after=$(git ls-files -co --exclude-standard -- '*.go' | sort | xargs sha256sum)
	if [ "$before" != "$after" ]; then
		echo "go generate changed files (commit the regenerated code):"
		diff <(echo "$before") <(echo "$after") || true
		return 1
	fi
}

step_test() { go test -race -count=1 ./...; }

step_examples() {
	local d ran=0
	for d in examples/*/; do
		[ -d "$d" ] || continue
		compgen -G "$d*.go" >/dev/null || continue
		echo "--- go run ./$d"
		timeout 300 go run "./$d" </dev/null
		ran=$((ran + 1))
	done
	echo "$ran example(s) ran"
}

# The browser test of examples/http (its own module, examples/http/e2e, so
# that the library never depends on chromedp): headless Chromium from
# Debian, installed when missing. Without chromium the test skips; under
# CI=true it fails.
step_e2e() {
	if ! command -v chromium >/dev/null; then
		header "install chromium"
		local sudo=()
		[ "$(id -u)" -eq 0 ] || sudo=(sudo)
		if ! { "${sudo[@]}" apt-get update </dev/null &&
			"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium </dev/null; }; then
			[ "${CI:-}" != true ] || die "chromium could not be installed"
			note "chromium could not be installed: the browser test skips"
		fi
	fi
	(cd examples/http/e2e && go vet ./... && go test -count=1 -v ./... && go mod tidy -diff)
}

step_tidy() { go mod tidy -diff; }

# The bench/ module (peer comparisons, its own go.mod): it must keep
# building against the library, and its equivalence tests must pass.
step_peers() {
	(cd bench && go vet ./... && go test -count=1 ./... && go mod tidy -diff)
}

# The otel/ module (OpenTelemetry metrics and traces, its own go.mod, so
# that the library never depends on OpenTelemetry): vetted, checked and
# tested with the race detector against the servers.
step_otel() {
	(cd otel && go vet ./... &&
		go run "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ./... &&
		go test -race -count=1 ./... && go mod tidy -diff)
}

# Not in STEPS: run it by name. BENCH_COUNT sets -count (default 5),
# BENCH the -bench pattern (default: all), BENCH_PKGS the packages.
step_bench() {
	local count=${BENCH_COUNT:-5} pkgs
	read -r -a pkgs <<<"${BENCH_PKGS:-. ./ringkey ./coders}"
	go test -run '^$' -bench "${BENCH:-.}" -benchmem -count "$count" "${pkgs[@]}"
}

# ---------------------------------------------------------------- main

main() {
	local selected=("$@") name
	[ ${#selected[@]} -gt 0 ] || selected=("${STEPS[@]}")
	for name in "${selected[@]}"; do
		declare -F "step_$name" >/dev/null || die "unknown step $name (steps: ${STEPS[*]})"
	done
	command -v go >/dev/null || die "go is not in PATH"
	for name in "${selected[@]}"; do
		if [[ $SERVER_STEPS == *" $name "* ]]; then
			start_servers
			break
		fi
	done

	local failed=() rc start
	for name in "${selected[@]}"; do
		header "$name"
		start=$SECONDS
		set +e
		(
			set -e
			"step_$name"
		)
		rc=$?
		set -e
		if [ "$rc" -eq 0 ]; then
			echo "--- $name: ok ($((SECONDS - start)) s)"
		else
			echo "--- $name: FAILED (exit $rc, $((SECONDS - start)) s)"
			failed+=("$name")
		fi
	done

	header "summary"
	if [ ${#failed[@]} -gt 0 ]; then
		echo "failed: ${failed[*]}"
		return 1
	fi
	echo "all steps passed: ${selected[*]}"
}

main "$@"
