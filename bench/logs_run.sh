#!/usr/bin/env bash
# CloudWatch Logs figures for docs/PERFORMANCE.md: slipway and moto_server
# in the same run, the same client (build/logs_bench, which signs every
# request before its clock starts) and the same calls.
#
#   bench/logs_run.sh                  # release build in build/
#   SLIPWAY_BIN=build-rel/slipway DURATION=10 bench/logs_run.sh
#
# PutLogEvents: BATCHES batches of 10,000 events over 1 and 2 connections.
# GetLogEvents: a stream of STREAM_EVENTS (1,000,000) events, paged forward
#   with default pages (up to 10,000 events / 1 MB) and read at random
#   points with limit 100 and 10,000.
# DescribeLogGroups: pages of 50 of 60 groups under wrk, as bench/run.sh does
#   for the query protocols.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
BATCHES=${BATCHES:-100}
STREAM_EVENTS=${STREAM_EVENTS:-1000000}
BIN=${SLIPWAY_BIN:-build/slipway}
LOGS_BENCH=$(dirname "$BIN")/logs_bench
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "bench: $BIN is missing (make)" >&2; exit 1; }
[ -x "$LOGS_BENCH" ] || { echo "bench: $LOGS_BENCH is missing (cmake --build ... --target logs_bench)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/deps.sh)" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() { # url
    for _ in $(seq 1 500); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "bench: $1 did not come up" >&2; return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# target name, port, key, secret, pid, moto?
run_target() {
    local name=$1 port=$2 key=$3 secret=$4 pid=$5 scale=$6
    local host=127.0.0.1 batches=$BATCHES
    echo "== $name"
    local before after
    before=$(cpu_ticks "$pid")
    "$LOGS_BENCH" put $host "$port" "$key" "$secret" /bench/ingest "$batches" 1
    after=$(cpu_ticks "$pid")
    echo "   server CPU: $(( (after - before) * 10 / batches )) ms per batch of 10,000 events"
    "$LOGS_BENCH" put $host "$port" "$key" "$secret" /bench/ingest2 "$batches" 2
    "$LOGS_BENCH" fill $host "$port" "$key" "$secret" /bench/read big "$STREAM_EVENTS"
    # moto sorts the whole stream on every GetLogEvents: fewer requests.
    "$LOGS_BENCH" scan $host "$port" "$key" "$secret" /bench/read big $((100 / scale))
    "$LOGS_BENCH" seek $host "$port" "$key" "$secret" /bench/read big $((1000 / scale)) 100 "$STREAM_EVENTS"
    "$LOGS_BENCH" seek $host "$port" "$key" "$secret" /bench/read big $((200 / scale)) 10000 "$STREAM_EVENTS"
    "$LOGS_BENCH" groups $host "$port" "$key" "$secret" 60
    "$LOGS_BENCH" wrk $host "$port" "$key" "$secret" "$work/describe.lua"
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$work/describe.lua" \
        "http://$host:$port/" >"$work/wrk.txt"
    printf '   wrk DescribeLogGroups (limit 50): %s req/s, p50 %s, p99 %s, non-2xx %s\n' \
        "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")" \
        "$(awk '$1=="50%" {print $2}' "$work/wrk.txt")" \
        "$(awk '$1=="99%" {print $2}' "$work/wrk.txt")" \
        "$(awk '/Non-2xx/ {print $5}' "$work/wrk.txt" | grep . || echo 0)"
    echo "   RSS after: $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB"
}

sw_port=$(port)
"$BIN" server --listen "127.0.0.1:$sw_port" --data "$work/data" --log-level warn \
    2>"$work/slipway.log" &
sw_pid=$!
wait_health "http://127.0.0.1:$sw_port/_slipway/health"
key=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
secret=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run_target "slipway ($(basename "$BIN"), SQLite synchronous=FULL)" "$sw_port" "$key" "$secret" \
    "$sw_pid" 1
echo "   database: $(du -sh "$work/data" | cut -f1)"
kill $sw_pid; wait $sw_pid 2>/dev/null || true

if command -v moto_server >/dev/null; then
    moto_port=$(port)
    moto_server -p "$moto_port" >"$work/moto.log" 2>&1 &
    moto_pid=$!
    wait_health "http://127.0.0.1:$moto_port/moto-api/"
    # moto_server is a launcher; the Python process serving is its child or itself.
    serving=$(pgrep -P $moto_pid | head -1 || true)
    run_target "moto_server (in memory)" "$moto_port" testing testing "${serving:-$moto_pid}" 10
else
    echo "bench: moto_server not found, measured slipway alone" >&2
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
