#!/usr/bin/env bash
# The nightly archive, release build: N finished passes (their tokens ended over a week ago)
# moved out of the hot table by one `cafe-server admin run-jobs --archive`, then (PostgreSQL)
# by two instances at once sharing the work. Prints each figure with the command that made it.
# Bounded: well under a minute after the build.
#   Benchmarks/archive.sh [N]                                     SQLite
#   CAFE_PG_FSYNC=on scripts/with-postgres Benchmarks/archive.sh 20000 postgres
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20000}
backend=${2:-sqlite}
swift build -c release --product cafe-server >/dev/null
bin=.build/release
work=$(mktemp -d /tmp/cafe-archive.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CAFE_BCRYPT_COST=4
. Benchmarks/fresh-database.sh
fresh() {   # a fresh database with N passes, all to be finished 40 days on
  fresh_database "$1"
  $bin/cafe-server bench seed --tickets "$count" >/dev/null 2>&1
}
millis() { date +%s%3N; }

fresh one
echo "== one instance, $count finished passes ($backend)"
echo "\$ cafe-server admin run-jobs --archive --now +40d"
start=$(millis)
$bin/cafe-server admin run-jobs --archive --now +40d --log-level error | tail -1
took=$(( $(millis) - start ))
echo "$count passes archived in $took ms: $(( took * 1000 / count )) µs a pass (process start and migrations check included)"

if [ "$backend" = postgres ]; then
  fresh two
  echo "== two instances at once on one PostgreSQL, $count passes"
  echo "\$ cafe-server admin run-jobs --archive --now +40d & (the same again)"
  start=$(millis)
  $bin/cafe-server admin run-jobs --archive --now +40d --log-level error | tail -1 >"$work/a" &
  $bin/cafe-server admin run-jobs --archive --now +40d --log-level error | tail -1 >"$work/b" &
  wait
  took=$(( $(millis) - start ))
  echo "instance A: $(cat "$work/a"); instance B: $(cat "$work/b"); together $took ms"
fi
