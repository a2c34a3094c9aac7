#!/usr/bin/env bash
# The central-API and online-kiosk benchmarks, on this machine over loopback, release builds:
#   - cafe-server: 100,000 tickets seeded; initial kiosk sync of all of them; a delta of 1,000;
#     online check-ins at 200 requests/s (open loop, 10 s);
#   - kioskd: the door's online verdict (one scan at a time); the door with the server hanging;
#     a backlog of 1,000 offline check-ins drained; resident memory with 100,000 tickets cached.
# Prints each figure with the command that made it. Bounded: about two minutes after the builds.
#   Benchmarks/central.sh [TICKETS]                       cafe-server on SQLite
#   CAFE_PG_FSYNC=on scripts/with-postgres Benchmarks/central.sh 100000 postgres
#                                                         the same on PostgreSQL (fsync on)
set -euo pipefail
cd "$(dirname "$0")/.."
tickets=${1:-100000}
backend=${2:-sqlite}

swift build -c release --product cafe-server >/dev/null
swift build -c release --product kioskd >/dev/null
swift build -c release --product kioskd-bench >/dev/null
bin=.build/release

work=$(mktemp -d /tmp/cafe-bench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export CAFE_BCRYPT_COST=4
if [ "$backend" = postgres ]; then
  [ -n "${CAFE_TEST_POSTGRES_URL:-}" ] || { echo "run it under scripts/with-postgres" >&2; exit 1; }
  schema="bench_$$"
  psql -q "$CAFE_TEST_POSTGRES_URL" -c "CREATE SCHEMA $schema"
  export CAFE_DATABASE="$CAFE_TEST_POSTGRES_URL?search_path=$schema"
else
  export CAFE_DATABASE="$work/cafe.sqlite"
fi
echo "cafe-server database: $backend"
state="$work/kiosk"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

echo "owner-password" | $bin/cafe-server admin create-owner --login owner --password-stdin >/dev/null 2>&1
$bin/cafe-server admin create-store --id 1 --name "Bench" --owner owner >/dev/null 2>&1

step "seed $tickets signed tickets ($backend)" "cafe-server bench seed --tickets $tickets"
$bin/cafe-server bench seed --tickets "$tickets" >"$work/tokens" 2>"$work/seed.err"; cat "$work/seed.err"

$bin/cafe-server serve --port 0 --log-level error >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/serve.out")
code=$($bin/cafe-server admin enrollment-code --store 1 2>/dev/null)

step "enrol + initial sync of $tickets tickets, end to end over loopback (the kiosk's libcurl + GRDB cache)" \
     "kioskd enroll --server URL --code CODE"
/usr/bin/time -f "kioskd enroll: %e s wall, max RSS %M KiB" $bin/kioskd enroll --server "$url" --code "$code" --state-dir "$state" 2>&1

step "full sync again (cache already full: every page re-applied)" "kioskd sync --full"
/usr/bin/time -f "max RSS %M KiB" $bin/kioskd sync --full --state-dir "$state" 2>&1 | tail -3

step "a delta of 1,000 changed tickets" "cafe-server bench touch --count 1000; kioskd sync"
$bin/cafe-server bench touch --count 1000 2>/dev/null
$bin/kioskd sync --state-dir "$state" | tail -2

step "online check-ins at 200/s for 10 s, open loop, 16 connections (server p99)" \
     "kioskd-bench online --rate 200 --seconds 10"
$bin/kioskd-bench online --tokens "$work/tokens" --rate 200 --seconds 10 --state-dir "$state"

step "the door's online verdict, one scan at a time, 20/s for 10 s (kiosk p99)" \
     "kioskd-bench online --door --rate 20 --seconds 10"
$bin/kioskd-bench online --door --tokens "$work/tokens" --rate 20 --seconds 10 --state-dir "$state"

step "the same while full re-syncs of all $tickets tickets run back to back and a decoder is busy at 720p/30" \
     "kioskd-bench online --door --rate 20 --seconds 10 --during-full-sync --busy-decoder"
$bin/kioskd-bench online --door --tokens "$work/tokens" --rate 20 --seconds 10 --state-dir "$state" --during-full-sync --busy-decoder

step "the door with the server hanging (accepts, never answers), deadline 300 ms" \
     "kioskd-bench online --door --deadline-ms 300 (server: Benchmarks/hanging_server.py)"
python3 Benchmarks/hanging_server.py >"$work/hang.out" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/hang.out" ] && break; sleep 0.1; done
hang_url=$(cat "$work/hang.out")
cp -r "$state" "$work/kiosk-hang"
python3 - "$work/kiosk-hang/device.json" "$hang_url" <<'PY'
import json, sys
path, url = sys.argv[1], sys.argv[2]
device = json.load(open(path)); device["server_url"] = url; json.dump(device, open(path, "w"))
PY
$bin/kioskd-bench online --door --deadline-ms 300 --tokens "$work/tokens" --rate 5 --seconds 6 --state-dir "$work/kiosk-hang"

step "a backlog of 1,000 offline check-ins drains to the server" "kioskd-bench drain --scans 1000"
$bin/kioskd-bench drain --scans 1000 --tokens "$work/tokens" --state-dir "$state"

step "resident memory of the door with $tickets tickets cached (kioskd run, sampled while it runs)" \
     "grep Rss|Pss|Private_Dirty /proc/PID/smaps_rollup"
( (head -c $((640 * 480 * 60)) /dev/zero; sleep 4) | $bin/kioskd run --raw gray --size 640x480 - --state-dir "$state" \
  --log-level error >/dev/null 2>&1 & )
sleep 2
door_pid=$(pgrep -f "kioskd run --raw gray --size 640x480 - --state-dir $state" | head -1)
grep -E "^(Rss|Pss|Private_Dirty|Private_Clean|Shared_Clean):" "/proc/$door_pid/smaps_rollup"
echo "largest mappings (KiB of RSS):"
awk '/^[0-9a-f]+-[0-9a-f]+ /{name=($6==""?"[anon]":$6)} /^Rss:/{rss[name]+=$2} END{for(n in rss) print rss[n], n}' "/proc/$door_pid/smaps" | sort -rn | head -6
while kill -0 "$door_pid" 2>/dev/null; do sleep 0.2; done

step "baseline in the same run: the offline verdict (payload → verdict → event committed), 100,000 tickets" \
     "kioskd-bench checkin --tickets 100000 --scans 2000"
$bin/kioskd-bench checkin --tickets 100000 --scans 2000 | tail -2
