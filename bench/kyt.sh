#!/usr/bin/env bash
# Load benchmark of KYT monitoring over loopback HTTP (see docs/kyt.md): builds
# a simulated lazarus chain, serves it, registers exchange deposits with
# concurrent clients and prints transfers/s, registration p99 and screening p99,
# then the time to re-screen them all.
# Usage: bench/kyt.sh [WORK_DIR] [-- flags of bench/kyt: -scale 3 -n 3000 -c 4 -workers 4 -rate 0]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-}"
if [[ -n "$work" && "$work" != -* ]]; then shift; else work=""; fi
[[ "${1:-}" == "--" ]] && shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
[[ -z "$work" ]] && work="$tmp/work"
go build -o "$tmp/chaintrace" ./cmd/chaintrace
go build -o "$tmp/kyt-bench" ./bench/kyt
"$tmp/kyt-bench" -chaintrace "$tmp/chaintrace" -work "$work" "$@"
