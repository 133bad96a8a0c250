#!/usr/bin/env bash
# Throughput, latency, memory and start-up of slipway against moto_server,
# the same calls in the same run. Figures go in docs/PERFORMANCE.md.
#
#   bench/run.sh            # 10 s per wrk run, 16 connections, 2 threads
#   DURATION=30 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
BIN=${SLIPWAY_BIN:-build/slipway}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/deps.sh)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN is missing (make)" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_health() { # url
    for _ in $(seq 1 500); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "bench: $1 did not come up" >&2; return 1
}

sw_port=$(port)
"$BIN" server --listen "127.0.0.1:$sw_port" --data "$work/data" --log-level warn \
    2>"$work/slipway.log" &
sw_pid=$!
wait_health "http://127.0.0.1:$sw_port/_slipway/health"
sleep 0.5
sw_idle=$(rss_kb $sw_pid)
key=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
secret=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")

# moto is the peer; it is not a Debian package (pip install 'moto[server]').
have_moto=1
command -v moto_server >/dev/null || {
    have_moto=0
    echo "bench: moto_server not found, measuring slipway alone" >&2
}
if [ $have_moto = 1 ]; then
    moto_port=$(port)
    moto_server -p "$moto_port" >"$work/moto.log" 2>&1 &
    moto_pid=$!
    wait_health "http://127.0.0.1:$moto_port/moto-api/"
    sleep 0.5
    moto_idle=$(rss_kb $moto_pid)
fi

declare -A bodies=(
    [sts_GetCallerIdentity]="sts|Action=GetCallerIdentity&Version=2011-06-15"
    [iam_GetUser]="iam|Action=GetUser&Version=2010-05-08&UserName=admin"
)
# moto needs the user to exist for GetUser.
[ $have_moto = 0 ] || AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_DEFAULT_REGION=us-east-1 aws --endpoint-url "http://127.0.0.1:$moto_port" \
    iam create-user --user-name admin >/dev/null

report() { # label wrk-output
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$2")
    p50=$(awk '$1=="50%" {print $2}' "$2")
    p99=$(awk '$1=="99%" {print $2}' "$2")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$2")
    printf '| %-32s | %10s | %8s | %8s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "| target | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
for call in sts_GetCallerIdentity iam_GetUser; do
    IFS='|' read -r service body <<<"${bodies[$call]}"
    python3 bench/make_wrk_script.py "http://127.0.0.1:$sw_port" "$key" "$secret" "$service" \
        "$body" "$work/sw.lua"
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$work/sw.lua" \
        "http://127.0.0.1:$sw_port/" >"$work/sw_$call.txt"
    report "slipway $call" "$work/sw_$call.txt"
    [ $have_moto = 1 ] || continue
    python3 bench/make_wrk_script.py "http://127.0.0.1:$moto_port" testing testing "$service" \
        "$body" "$work/moto.lua"
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$work/moto.lua" \
        "http://127.0.0.1:$moto_port/" >"$work/moto_$call.txt"
    report "moto_server $call" "$work/moto_$call.txt"
done
sw_loaded=$(rss_kb $sw_pid)
echo
echo "RSS (kB): slipway idle $sw_idle, loaded $sw_loaded"
[ $have_moto = 0 ] || echo "RSS (kB): moto_server idle $moto_idle, loaded $(rss_kb $moto_pid)"

kill $sw_pid; wait $sw_pid 2>/dev/null || true

# Policy evaluation alone: 50 attached policies, 250 statements.
bench_policy=$(dirname "$BIN")/bench_policy
if [ -x "$bench_policy" ]; then
    "$bench_policy"
else
    echo "bench: $bench_policy is missing (cmake --build build --target bench_policy)" >&2
fi
start_port=$(port)
start_ms=$(python3 bench/startup.py 20 "$BIN" server --listen "127.0.0.1:$start_port" \
    --data "$work/data" --log-level warn -- "$start_port" "$work/data/credentials")
echo "slipway exec to first signed 200 (median of 20): $start_ms ms"
