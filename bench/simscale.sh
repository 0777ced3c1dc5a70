#!/bin/sh
# Measures `chaintrace simulate` at scenario level and prints one table: txs, blocks, wall and CPU
# seconds, tx per CPU second (one core: GOMAXPROCS=1), MB of blocks and ground truth, peak RSS.
# Default rows: lazarus fast at 1M and 10M txs, signed at 100k and 1M (the 10M row needs ~10 GB of
# scratch space; each row's output is removed after it). Choose others with -rows, e.g.  bench/simscale.sh -rows lazarus:signed:10M
# Figures are recorded in docs/simulator.md.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/chaintrace" ./cmd/chaintrace
go build -o "$tmp/simscale" ./bench/simscale
"$tmp/simscale" -chaintrace "$tmp/chaintrace" -work "$tmp" "$@"
