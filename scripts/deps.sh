#!/usr/bin/env bash
# Installs every Debian 12 package that slipway's build, tests and runtime need.
# Idempotent: does nothing when all are present. As root it runs apt-get;
# otherwise it prints the exact command to run and exits non-zero.
set -euo pipefail

packages=(
    # build
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
    # libraries (see DESIGN.md)
    libmicrohttpd-dev libjansson-dev libyaml-dev libsqlite3-dev libssl-dev
    libgit2-dev libarchive-dev libcurl4-openssl-dev libcmocka-dev
    # runtime
    git sqlite3 bubblewrap
    # tests and benchmarks
    python3 python3-boto3 awscli wrk hyperfine curl openssl
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "slipway needs these Debian packages: ${missing[*]}" >&2
    echo "run as root:  apt-get update && $cmd" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
