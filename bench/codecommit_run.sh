#!/usr/bin/env bash
# CodeCommit figures for docs/PERFORMANCE.md: git push and clone through
# slipway against git's local transport, API latency against moto_server's
# floor, and push-to-event latency (bench/codecommit_bench.py says how).
#
#   bench/codecommit_run.sh                      # release build in build/
#   FILES=1000 SIZE_MB=5 bench/codecommit_run.sh git
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${SLIPWAY_BIN:-build/slipway}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
[ -x "$BIN" ] || { echo "bench: $BIN is missing (make)" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() { # url
    for _ in $(seq 1 500); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "bench: $1 did not come up" >&2; return 1
}

sw_port=$(port)
"$BIN" server --listen "127.0.0.1:$sw_port" --data "$work/data" --log-level warn \
    2>"$work/slipway.log" &
wait_health "http://127.0.0.1:$sw_port/_slipway/health"

moto=""
if command -v moto_server >/dev/null; then
    moto_port=$(port)
    moto_server -p "$moto_port" >"$work/moto.log" 2>&1 &
    for _ in $(seq 1 250); do curl -fs "http://127.0.0.1:$moto_port/" >/dev/null 2>&1 && break; sleep 0.04; done
    moto="http://127.0.0.1:$moto_port"
else
    echo "bench: moto_server is missing; API figures without the peer" >&2
fi

echo "slipway $("$BIN" version 2>/dev/null || true), git $(git --version | cut -d' ' -f3), $(nproc) cores"
ENDPOINT="http://127.0.0.1:$sw_port" DATA="$work/data" MOTO="$moto" \
    python3 bench/codecommit_bench.py "$@"
