#!/usr/bin/env bash
# S3 PUT and GET throughput for 1 MB and 200 MB objects: slipway against
# moto_server in the same run, and against the physical limit of the same
# disk (cp + fsync of the same file for writes, a cold-cache-free read of it
# for reads). The client is curl on presigned URLs, which streams a file at
# disk speed and is never the bottleneck.
#
#   bench/s3_throughput.sh                # 1 MB x 100, 200 MB x 3
#   SMALL_N=300 LARGE_N=5 bench/s3_throughput.sh
#   WORKDIR=/some/disk bench/s3_throughput.sh   # where data and files live
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL_N=${SMALL_N:-100}
LARGE_N=${LARGE_N:-3}
BIN=${SLIPWAY_BIN:-build/slipway}
base=${WORKDIR:-$PWD/bench}
work=$(mktemp -d "$base/.s3bench.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "bench: $BIN is missing (make)" >&2; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_health() {
    for _ in $(seq 1 500); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.02; done
    echo "bench: $1 did not come up" >&2; return 1
}
now() { date +%s.%N; }
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / 1048576 / t }'; }

head -c $((1 << 20)) /dev/urandom >"$work/small"
head -c $((200 << 20)) /dev/urandom >"$work/large"

sw_port=$(port)
"$BIN" server --listen "127.0.0.1:$sw_port" --data "$work/data" --log-level warn \
    2>"$work/slipway.log" &
wait_health "http://127.0.0.1:$sw_port/_slipway/health"
sw_key=$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$work/data/credentials")
sw_secret=$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$work/data/credentials")
targets=("slipway|http://127.0.0.1:$sw_port|$sw_key|$sw_secret")

if command -v moto_server >/dev/null; then
    moto_port=$(port)
    moto_server -p "$moto_port" >"$work/moto.log" 2>&1 &
    wait_health "http://127.0.0.1:$moto_port/moto-api/"
    targets+=("moto_server|http://127.0.0.1:$moto_port|testing|testing")
else
    echo "bench: moto_server not found, measuring slipway alone" >&2
fi

# Seconds for N PUTs (or GETs) of FILE through presigned URLs: one curl
# process on one kept-alive connection, so neither process start-up nor
# connection set-up is measured.
run_curl() { # endpoint key secret method file n
    local url start
    url=$(python3 bench/s3_presign.py "$1" "$2" "$3" "$4" bench obj)
    : >"$work/curl.cfg"
    for _ in $(seq 1 "$6"); do
        if [ "$4" = put ]; then
            printf 'upload-file = "%s"\n' "$5" >>"$work/curl.cfg"
        fi
        printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >>"$work/curl.cfg"
    done
    start=$(now)
    curl -fsS -K "$work/curl.cfg"
    awk -v s="$start" -v e="$(now)" 'BEGIN { print e - s }'
}

printf '| target | object | PUT MB/s | GET MB/s |\n|---|---|---|---|\n'
for t in "${targets[@]}"; do
    IFS='|' read -r name endpoint key secret <<<"$t"
    python3 bench/s3_presign.py "$endpoint" "$key" "$secret" bucket bench x
    for size in small large; do
        n=$([ $size = small ] && echo "$SMALL_N" || echo "$LARGE_N")
        bytes=$(($(stat -c %s "$work/$size") * n))
        put_s=$(run_curl "$endpoint" "$key" "$secret" put "$work/$size" "$n")
        get_s=$(run_curl "$endpoint" "$key" "$secret" get "$work/$size" "$n")
        printf '| %s | %s x %d | %s | %s |\n' "$name" \
            "$([ $size = small ] && echo 1MB || echo 200MB)" "$n" \
            "$(mbps $bytes "$put_s")" "$(mbps $bytes "$get_s")"
    done
done

# The physical limit on the same disk: copy with fsync, and read back.
for size in small large; do
    n=$([ $size = small ] && echo "$SMALL_N" || echo "$LARGE_N")
    bytes=$(($(stat -c %s "$work/$size") * n))
    start=$(now)
    for i in $(seq 1 "$n"); do
        dd if="$work/$size" of="$work/copy" bs=4M conv=fsync status=none
    done
    put_s=$(awk -v s="$start" -v e="$(now)" 'BEGIN { print e - s }')
    start=$(now)
    for i in $(seq 1 "$n"); do cat "$work/copy" >/dev/null; done
    get_s=$(awk -v s="$start" -v e="$(now)" 'BEGIN { print e - s }')
    printf '| cp + fsync / cat (limit) | %s x %d | %s | %s |\n' \
        "$([ $size = small ] && echo 1MB || echo 200MB)" "$n" \
        "$(mbps $bytes "$put_s")" "$(mbps $bytes "$get_s")"
done
