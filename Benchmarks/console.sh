#!/usr/bin/env bash
# The web consoles' weight and the owner's console calls, release build, over loopback: the
# customer's first page and the owner's script in bytes, then each call the console's pages make,
# 20 times each on a store with N passes (median and worst, curl's time_total), N holders inside.
# Bounded: well under a minute after the build.
#   Benchmarks/console.sh [N]                                     SQLite
#   scripts/with-postgres Benchmarks/console.sh 100000 postgres
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
backend=${2:-sqlite}
swift build -c release --product cafe-server >/dev/null
bin=.build/release
work=$(mktemp -d /tmp/cafe-console.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export CAFE_BCRYPT_COST=4
. Benchmarks/fresh-database.sh
fresh_database console
$bin/cafe-server bench seed --tickets "$count" >/dev/null 2>&1
$bin/cafe-server bench enter --count 40 >/dev/null
$bin/cafe-server serve --port 0 --log-level error >"$work/serve.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/serve.out")
token=$(curl -s "$url/auth/login" -H 'Content-Type: application/json' -d '{"login":"owner","password":"owner-password"}' \
  | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')

bytes() { curl -s "$url$1" | wc -c; }
first=0
for path in /app/ /app/app.js /app/app.css /app/manifest.webmanifest /app/icon.svg; do first=$(( first + $(bytes "$path") )); done
echo "== weight"
echo "customer's first page (HTML, app.js, app.css, manifest, icon): $first bytes (budget 102400)"
echo "owner.js (loaded only by an owner opening the console): $(bytes /app/owner.js) bytes"

echo "== the owner's console calls, $count passes in store 1, 40 inside ($backend), 20 calls each"
call() {   # name path [accept]
  local accept=${3:-application/json} times
  times=$(for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" -H "Accept: $accept" "$url$2"
  done | sort -n)
  printf '%-34s median %5.1f ms, worst %5.1f ms   (curl %s)\n' "$1" \
    "$(echo "$times" | sed -n 10p | awk '{print $1 * 1000}')" "$(echo "$times" | tail -1 | awk '{print $1 * 1000}')" "$2"
}
call "today: the day" /stores/1/day
call "today: the seat map" /stores/1/seats
call "sales by day, 30 days" "/stores/1/sales?by=day"
call "sales CSV" "/stores/1/sales?by=day" text/csv
call "pass search, no match (full scan)" "/stores/1/tickets?q=nobody"
call "pass search, latest 50" "/stores/1/tickets?q="
call "kiosks" /stores/1/devices
call "notices sent" /stores/1/notices
