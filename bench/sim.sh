#!/bin/sh
# Measures the chain simulator and prints one table: transactions per second signed vs fast, blocks per
# second, MB of blk files written, and peak RSS at two chain lengths (memory follows the live UTXO set,
# not the chain). Rows come from every workload registered in bench/sim (see its doc comment); pass
# -rows workload:mode:txs,... to choose others, e.g.  bench/sim.sh -rows engine:fast:10000000
set -eu
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/simbench
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/sim
"$bin" "$@"
