#!/usr/bin/env bash
# Kill -9 test of ingest at N random moments of a 1 M-tx ingest (docs/benchmarks.md, "kill -9").
#
#   bench/kill9.sh [N] [BLOCKS_DIR]       (default: 50 kills, the cached 1 M-tx simulated chain)
#
# 1. A clean build: `chaintrace ingest` of the chain into a fresh folder, then `verify` → digest D
#    and the clean ingest time T.
# 2. N rounds on a second folder: start `chaintrace ingest` of the same chain (it resumes from
#    whatever the last round left), SIGKILL it after a random delay in [0.02 T, 0.5 T] (a new
#    random point of the remaining work each time), then `verify` the killed index: it must be
#    consistent (every invariant of `verify` holds: the state after a kill is a committed one).
#    When a resumed ingest reached the end before its kill, its digest must equal D, and the
#    next round starts again from an empty folder (so kills keep landing mid-ingest).
# 3. Resume to the end; `verify` → digest; it must equal D.
# With FULL=1 each round instead starts from an empty folder, is killed once, resumed to the
# end and its digest compared with D (N× the clean ingest time).
# Prints one row per round and a summary line; exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-50}"
blocks="${2:-bench/out/sim-lazarus-s100-seed1/blocks}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/chaintrace" ./cmd/chaintrace
ct="$tmp/chaintrace"
if [ ! -d "$blocks" ]; then
  echo "kill9: simulating the 1 M-tx chain into bench/out (cached)" >&2
  out="$(dirname "$blocks")"
  "$ct" simulate --fast --scenario lazarus --seed 1 --scale 100 --quiet --out "$out"
fi
digest() { "$ct" verify --data "$1" --json | sed -n 's/.*"digest": "\([0-9a-f]*\)".*/\1/p'; }
tip() { "$ct" stats --data "$1" --json 2>/dev/null | sed -n 's/.*"height": \([0-9]*\).*/\1/p' | head -1; }

start=$(date +%s.%N)
"$ct" ingest --data "$tmp/clean" --no-progress --log-level error "$blocks" >/dev/null
T=$(echo "$(date +%s.%N) - $start" | bc)
D=$(digest "$tmp/clean")
H=$(tip "$tmp/clean")
rm -rf "$tmp/clean"
echo "clean build: ${T} s, tip $H, digest $D"
echo
echo "| round | killed after s | tip after kill | verify after kill | digest after resume |"
echo "|---:|---:|---:|---|---|"
ok=0
bad=0
round() { # $1 = data folder; kills one ingest at a random moment, verifies
  local d="$1" delay
  # (bash's $RANDOM: awk's srand with a long seed repeats delays)
  delay=$(awk -v r="$((RANDOM % 10000))" -v t="$T" 'BEGIN{printf "%.2f", t*(0.02+0.48*r/10000)}')
  "$ct" ingest --data "$d" --no-progress --log-level error "$blocks" >/dev/null 2>&1 &
  local pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  KDELAY=$delay
  KTIP=$(tip "$d")
  if "$ct" verify --data "$d" >/dev/null 2>&1; then KVER=consistent; else KVER=INCONSISTENT; fi
}
for i in $(seq 1 "$n"); do
  if [ "${FULL:-0}" = 1 ]; then
    rm -rf "$tmp/k"
    round "$tmp/k"
    "$ct" ingest --data "$tmp/k" --no-progress --log-level error "$blocks" >/dev/null
    got=$(digest "$tmp/k")
    if [ "$got" = "$D" ] && [ "$KVER" = consistent ]; then res="= clean"; ok=$((ok+1)); else res="DIFFERS ($got)"; bad=$((bad+1)); fi
  else
    round "$tmp/k"
    res="(checked at the end)"
    if [ "$KVER" = consistent ]; then ok=$((ok+1)); else bad=$((bad+1)); fi
    if [ "${KTIP:-}" = "$H" ]; then
      # This resume finished before its kill: check it, then start over.
      got=$(digest "$tmp/k")
      if [ "$got" = "$D" ]; then res="complete: = clean; restart"; else res="complete: DIFFERS ($got)"; bad=$((bad+1)); fi
      rm -rf "$tmp/k"
    fi
  fi
  echo "| $i | $KDELAY | ${KTIP:-empty} | $KVER | $res |"
done
if [ "${FULL:-0}" != 1 ] && [ -d "$tmp/k" ]; then
  "$ct" ingest --data "$tmp/k" --no-progress --log-level error "$blocks" >/dev/null
  got=$(digest "$tmp/k")
  echo
  if [ "$got" = "$D" ]; then echo "after $n kills, resumed to the end: digest $got = clean build"; else echo "after $n kills, resumed to the end: digest $got DIFFERS from the clean build $D"; bad=$((bad+1)); fi
fi
echo "kill9: $ok/$n rounds consistent$([ "${FULL:-0}" = 1 ] && echo ' and equal to the clean build'); $bad failure(s)"
[ "$bad" = 0 ]
