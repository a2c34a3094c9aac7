#!/usr/bin/env bash
# The daemon as shipped (static release build, as in the .deb) and, beside it, the dynamic one:
# start → READY=1 with 100,000 tickets cached, SIGTERM → exit, RSS and CPU at 720p/30 with a pass
# held up every 2 s; offline, then online (a cafe-server on loopback) and online over HTTPS.
#   Benchmarks/daemon.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-static >/dev/null 2>&1
# One product a command: given two --product flags, SwiftPM builds only the last one.
swift build -c release --product kioskd >/dev/null
swift build -c release --product kioskd-bench >/dev/null
seconds=${1:-20}
echo "== static (--static-swift-stdlib, what the .deb ships)"
python3 Benchmarks/daemon.py .build-static/release/kioskd .build/release/kioskd-bench --seconds "$seconds"
swift build -c release --product cafe-server >/dev/null
echo "== static, online: a cafe-server on loopback decides, then the same over HTTPS (a pinned private CA)"
python3 Benchmarks/daemon.py .build-static/release/kioskd .build/release/kioskd-bench --seconds "$seconds" --server .build/release/cafe-server
python3 Benchmarks/daemon.py .build-static/release/kioskd .build/release/kioskd-bench --seconds "$seconds" --server .build/release/cafe-server --tls
echo "== dynamic (Swift runtime as shared libraries)"
python3 Benchmarks/daemon.py .build/release/kioskd .build/release/kioskd-bench --seconds "$seconds"
