#!/usr/bin/env bash
# Load benchmark of the screening API (see docs/name-matching.md): imports the
# 2025-02 OFAC SDN and UN lists into a temporary data directory, serves them on
# 127.0.0.1 and prints one table of req/s, p50 and p99 for address and name
# screens.
# Usage: bench/screen.sh [SHARED_DIR] [-- extra flags: -c 1,4,16 -d DURATION -n REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${CHAINTRACE_SHARED:-../shared}"
if [[ $# -gt 0 && "$1" != -* ]]; then shared="$1"; shift; fi
[[ "${1:-}" == "--" ]] && shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/chaintrace" ./cmd/chaintrace
go build -o "$tmp/screen-bench" ./bench/screen
"$tmp/screen-bench" -shared "$shared" -chaintrace "$tmp/chaintrace" -work "$tmp/work" "$@"
echo
echo "In-process (go test -bench):"
go test -run '^$' -bench 'BenchmarkSearchReal' -benchtime 2000x ./internal/sanctions/namematch/eval/ | grep -E '^Benchmark'
