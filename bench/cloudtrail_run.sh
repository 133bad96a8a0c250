#!/usr/bin/env bash
# What recording every API call as a CloudTrail event costs: the same calls
# (sts GetCallerIdentity, iam GetUser, as bench/run.sh makes them) against
# two servers of one binary, --cloudtrail on and --cloudtrail off, in the
# same run, rounds interleaved so that both see the same machine.
#
#   bench/cloudtrail_run.sh                  # 3 rounds of 10 s per call and mode
#   DURATION=20 ROUNDS=5 bench/cloudtrail_run.sh
#
# Cost per call = 1/req_s(on) - 1/req_s(off), in microseconds of the whole
# server (request threads plus the recorder's writer), and as a share of
# the request time with recording off. Figures go in docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
BIN=${SLIPWAY_BIN:-build/slipway}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/deps.sh)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN is missing (make)" >&2; exit 1; }

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() { # url
    for _ in $(seq 1 500); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "bench: $1 did not come up" >&2; return 1
}

declare -A ports keys secrets pids
for mode in on off; do
    ports[$mode]=$(port)
    mkdir -m 700 "$work/$mode"
    "$BIN" server --listen "127.0.0.1:${ports[$mode]}" --data "$work/$mode/data" \
        --log-level warn --cloudtrail "$mode" 2>"$work/$mode/slipway.log" &
    pids[$mode]=$!
    wait_health "http://127.0.0.1:${ports[$mode]}/_slipway/health"
    keys[$mode]=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/$mode/data/credentials")
    secrets[$mode]=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' \
        "$work/$mode/data/credentials")
done
sleep 0.5

declare -A bodies=(
    [sts_GetCallerIdentity]="sts|Action=GetCallerIdentity&Version=2011-06-15"
    [iam_GetUser]="iam|Action=GetUser&Version=2010-05-08&UserName=admin"
)

rps_of() { awk '/Requests\/sec/ {print $2}' "$1"; }
p50_of() { awk '$1=="50%" {print $2}' "$1"; }
non2xx_of() { awk '/Non-2xx/ {print $5}' "$1"; }

echo "| call | mode | round | req/s | p50 | non-2xx |"
echo "|---|---|---|---|---|---|"
for call in sts_GetCallerIdentity iam_GetUser; do
    IFS='|' read -r service body <<<"${bodies[$call]}"
    for mode in on off; do
        python3 bench/make_wrk_script.py "http://127.0.0.1:${ports[$mode]}" "${keys[$mode]}" \
            "${secrets[$mode]}" "$service" "$body" "$work/$mode/$call.lua"
    done
    for round in $(seq 1 "$ROUNDS"); do
        for mode in on off; do
            out="$work/$mode/${call}_$round.txt"
            wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$work/$mode/$call.lua" \
                "http://127.0.0.1:${ports[$mode]}/" >"$out"
            printf '| %s | %s | %s | %s | %s | %s |\n' "$call" "$mode" "$round" \
                "$(rps_of "$out")" "$(p50_of "$out")" "$(non2xx_of "$out" || true)"
            # Let the writer finish before the other mode runs.
            sleep 1
        done
    done
done

echo
echo "| call | req/s on (median) | req/s off (median) | cost per call | share of request time |"
echo "|---|---|---|---|---|"
for call in sts_GetCallerIdentity iam_GetUser; do
    median() { # mode
        for f in "$work/$1/${call}"_*.txt; do rps_of "$f"; done | sort -n |
            awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
    }
    on=$(median on)
    off=$(median off)
    awk -v c="$call" -v on="$on" -v off="$off" 'BEGIN {
        cost = 1e6 / on - 1e6 / off; share = 100 * cost / (1e6 / off);
        printf "| %s | %.0f | %.0f | %.2f us | %.1f%% |\n", c, on, off, cost, share }'
done

# Everything the "on" server answered is recorded (or counted as dropped).
kill -TERM "${pids[on]}"
wait "${pids[on]}" || true
echo
grep -h '"cloudtrail"' "$work/on/slipway.log" || echo "recorder: no events dropped"
