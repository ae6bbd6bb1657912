#!/usr/bin/env bash
# The charts of docs/benchmarks.md and docs/observability.md.
#
#   scripts/charts.sh          draws docs/img/*.svg from the data committed
#                              under docs/data (go run ./internal/cmd/charts)
#   scripts/charts.sh data     first measures the data again, then draws:
#                                peers-hit.txt  cd bench && go test -bench PeersHit (in-process, no server)
#                                bulk.txt       go test -bench for BenchmarkLRUBulk, BenchmarkRedis and
#                                               BenchmarkMemcache/servers=all (on the servers that
#                                               RING_REDIS_ADDR and RING_MEMCACHE_ADDRS name, as
#                                               scripts/test.sh starts them; without them the remote
#                                               benchmarks are skipped, and so are their rows)
#                                outage.tsv     TestChartsOutage: a private redis-server frozen for 3 s
#                                dashboard.tsv  TestChartsDashboard: the scripted run of the dashboard
#   scripts/charts.sh check    exits 1 if a committed SVG is not what its data gives
#
# COUNT (default 6) is the -count of the benchmarks. The data steps run
# benchmarks: run them on a quiet machine, and read docs/benchmarks.md for
# how the numbers are to be read.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
COUNT=${COUNT:-6}
DATA=docs/data
mkdir -p "$DATA" docs/img
# A step that fails leaves the committed data as it was: each writes into
# TMP first.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

data() {
	echo "charts.sh: peers (bench/, BenchmarkPeersHit, -count $COUNT)" >&2
	(cd bench && go test -run '^$' -bench 'PeersHit' -benchmem -count "$COUNT") >"$TMP/peers-hit.txt"
	mv "$TMP/peers-hit.txt" "$DATA/peers-hit.txt"

	echo "charts.sh: bulk against sequential (-count $COUNT)" >&2
	local rows='ring-100-calls|ring-getmany-100|ring-getorupdatemany-100'
	{
		go test -run '^$' -bench "^Benchmark(LRUBulk|Redis)\$/^($rows|raw-mget-100)\$" -benchmem -count "$COUNT" .
		go test -run '^$' -bench "^BenchmarkMemcache\$/^servers=all\$/^($rows|raw-getmulti-100)\$" -benchmem -count "$COUNT" .
	} >"$TMP/bulk.txt"
	mv "$TMP/bulk.txt" "$DATA/bulk.txt"

	echo "charts.sh: the outage run (TestChartsOutage, about 15 s)" >&2
	RING_CHARTS_OUTAGE="$TMP/outage.tsv" go test -count=1 -run '^TestChartsOutage$' .
	mv "$TMP/outage.tsv" "$DATA/outage.tsv"

	echo "charts.sh: the dashboard run (TestChartsDashboard, about 10 s)" >&2
	RING_CHARTS_DASHBOARD="$TMP/dashboard.tsv" go test -count=1 -run '^TestChartsDashboard$' .
	mv "$TMP/dashboard.tsv" "$DATA/dashboard.tsv"
}

case "${1:-draw}" in
data)
	data
	go run ./internal/cmd/charts -data "$DATA" -out docs/img
	;;
draw) go run ./internal/cmd/charts -data "$DATA" -out docs/img ;;
check) go run ./internal/cmd/charts -data "$DATA" -out docs/img -check ;;
*)
	echo "usage: scripts/charts.sh [draw|data|check]" >&2
	exit 2
	;;
esac
