#!/bin/sh
# Measures a 6-hop forward trace: internal/trace over the chain index vs the same trace as a
# PostgreSQL recursive CTE over the same tx graph (loaded into the server named by
# CHAINTRACE_TEST_POSTGRES, or -dsn), in one run, and prints one table. It simulates a fast
# (unsigned) lazarus chain of about SCALE × 10 000 txs and indexes it first (kept in
# $TRACE_BENCH_DIR, default /tmp/chaintrace-trace-bench, and reused).
#   bench/trace.sh [SCALE] [bench/trace flags]      e.g. bench/trace.sh 1000   (10 M txs)
set -eu
cd "$(dirname "$0")/.."
scale=${1:-100}
[ $# -gt 0 ] && shift
dir=${TRACE_BENCH_DIR:-/tmp/chaintrace-trace-bench}/scale$scale
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/chaintrace" ./cmd/chaintrace
go build -o "$bin/tracebench" ./bench/trace
if [ ! -f "$dir/sim/truth.json" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	"$bin/chaintrace" simulate --fast --quiet --scale "$scale" --seed 3 --out "$dir/sim" >&2
fi
"$bin/chaintrace" ingest --data "$dir/data" --no-progress "$dir/sim/blocks" >&2
"$bin/tracebench" -data "$dir/data" -label "simulated lazarus, fast, seed 3, scale $scale" "$@"
