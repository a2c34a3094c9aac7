#!/usr/bin/env bash
# The auto-exit job, release build: N holders inside past their visit cap, exited by one
# `cafe-server admin run-jobs`, then (PostgreSQL) by two instances at once sharing the work.
# Prints each figure with the command that made it. Bounded: well under a minute after the build.
#   Benchmarks/auto-exit.sh [N]                                  SQLite
#   CAFE_PG_FSYNC=on scripts/with-postgres Benchmarks/auto-exit.sh 2000 postgres
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-2000}
backend=${2:-sqlite}
swift build -c release --product cafe-server >/dev/null
bin=.build/release
work=$(mktemp -d /tmp/cafe-autoexit.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CAFE_BCRYPT_COST=4
. Benchmarks/fresh-database.sh
fresh() {   # a fresh database with N tickets inside
  fresh_database "$1"
  $bin/cafe-server bench seed --tickets "$count" >/dev/null 2>&1
  $bin/cafe-server bench enter --count "$count" >/dev/null
}
millis() { date +%s%3N; }

fresh one
echo "== one instance, $count holders past the cap ($backend)"
echo "\$ cafe-server admin run-jobs"
start=$(millis)
$bin/cafe-server admin run-jobs --log-level error | tail -1
took=$(( $(millis) - start ))
echo "$count exits in $took ms: $(( took * 1000 / count )) µs an exit (process start and migrations check included)"

if [ "$backend" = postgres ]; then
  fresh two
  echo "== two instances at once on one PostgreSQL, $count holders"
  echo "\$ cafe-server admin run-jobs & cafe-server admin run-jobs"
  start=$(millis)
  $bin/cafe-server admin run-jobs --log-level error | tail -1 >"$work/a" &
  $bin/cafe-server admin run-jobs --log-level error | tail -1 >"$work/b" &
  wait
  took=$(( $(millis) - start ))
  echo "instance A: $(cat "$work/a"); instance B: $(cat "$work/b"); together $took ms"
fi
