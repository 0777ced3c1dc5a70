#!/usr/bin/env bash
# Label import at scale (see docs/labels.md): writes a synthetic TagPack of
# MB megabytes (default 100), imports it into a fresh data folder, imports it
# again (nothing may change), then imports the same pack ending in one bad
# address (refused with its file and line; nothing may change). Prints wall
# time and peak RSS of each run, and the in-process snapshot benchmarks.
# Usage: bench/labels.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-100}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/chaintrace" ./cmd/chaintrace
go run ./bench/labelpack -mb "$mb" -o "$tmp/pack.yaml"
go run ./bench/labelpack -mb "$mb" -bad -o "$tmp/bad.yaml"
run() { # label, command...
	local what="$1"; shift
	local t0=$(date +%s.%N)
	local out rc=0
	out=$( { /usr/bin/time -f "%M" "$@" 2>"$tmp/err"; } 2>&1 ) || rc=$?
	local t1=$(date +%s.%N)
	local rss=$(tail -1 "$tmp/err")
	printf '%-28s %6.1f s  peak RSS %5d MB  exit %d\n' "$what" "$(echo "$t1 - $t0" | bc)" "$((rss / 1024))" "$rc"
	grep -v '^labels: .*records read' "$tmp/err" | sed '$d' | sed 's/^/    /' | cut -c1-160 || true
	echo "$out" | tail -1 | sed 's/^/    /'
}
echo "pack: $(du -m "$tmp/pack.yaml" | cut -f1) MB"
run "import" "$tmp/chaintrace" --data "$tmp/d" labels import --format tagpack "$tmp/pack.yaml"
run "import again" "$tmp/chaintrace" --data "$tmp/d" labels import --format tagpack "$tmp/pack.yaml"
run "import, bad last tag" "$tmp/chaintrace" --data "$tmp/d2" labels import --format tagpack "$tmp/bad.yaml"
run "datasets after the refusal" "$tmp/chaintrace" --data "$tmp/d2" labels
echo
echo "In-process (go test -bench):"
go test -run '^$' -bench 'BenchmarkSnapshotAttribute' -benchtime 200000x ./internal/labels/ | grep -E '^Benchmark'
go test -run '^$' -bench 'BenchmarkSnapshotBuild' -benchtime 3x ./internal/labels/ | grep -E '^Benchmark'
