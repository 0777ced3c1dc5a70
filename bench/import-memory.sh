#!/usr/bin/env bash
# Peak RSS of `chaintrace lists import` on generated lists (see
# docs/sanctions.md "Memory"): a watchlist CSV and an OFAC-SDN-CSV-shaped
# sdn.csv of SIZE MB each (default 100), imported into a fresh data
# directory; prints the maximum resident set size and the wall time.
# Usage: bench/import-memory.sh [SIZE_MB ...]   (CHAINTRACE_BIN=path to test another build)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [[ ${#sizes[@]} -eq 0 ]] && sizes=(100)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bin="${CHAINTRACE_BIN:-}"
if [[ -z "$bin" ]]; then bin="$tmp/chaintrace"; go build -o "$bin" ./cmd/chaintrace; fi
for mb in "${sizes[@]}"; do
	lim=$((mb * 1048576))
	awk -v lim="$lim" 'BEGIN { print "id,name,category,source"; n = 0
		for (i = 0; n < lim; i++) { l = sprintf("e%d,Entity %d Trading Company,scam,report %d", i, i, i % 1000); print l; n += length(l) + 1 } }' >"$tmp/watch.csv"
	mkdir -p "$tmp/ofac"
	awk -v lim="$lim" 'BEGIN { n = 0
		for (i = 1; n < lim; i++) { l = sprintf("%d,\"TRADING COMPANY %d LLC\",\"-0- \",\"SDGT] [IRAN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Website www.example%d.com; Digital Currency Address - XBT 1BoatSLRHtKNngkdXEeobR76b53LETtpyT; alt. Digital Currency Address - ETH 0x%040d.\"", i, i, i, i)
			printf "%s\r\n", l; n += length(l) + 2 } printf "\032" }' >"$tmp/ofac/sdn.csv"
	for f in watch:watchlist ofac:ofac-csv; do
		name="${f%%:*}" format="${f#*:}"
		src="$tmp/watch.csv"; extra=(--name big)
		[[ $name == ofac ]] && { src="$tmp/ofac/sdn.csv"; extra=(); }
		rm -rf "$tmp/data"
		/usr/bin/time -f "%M %e" -o "$tmp/time" "$bin" --data "$tmp/data" lists import --format "$format" "${extra[@]}" --max-size $((mb + 10)) "$src" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; tail -1 "$tmp/time" >&2; }
		read -r rss secs <"$tmp/time" || true
		printf '%-9s %5d MB input: peak RSS %6d MB, %6.1f s  (%s)\n' "$format" "$mb" $((rss / 1024)) "$secs" "$(head -c 120 "$tmp/out")"
	done
done
