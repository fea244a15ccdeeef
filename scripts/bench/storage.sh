#!/usr/bin/env bash
# The storage benchmark of BENCHMARKS.md: a file up and down through flyte-storage (the release
# `storage` example) beside boto3 on moto's S3 and shutil on the local store, in one run.
#
# Usage: scripts/bench/storage.sh [SIZE_MIB]     (default 1024)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/lib.sh
ensure_moto

cargo build --quiet --release -p flyte-examples --example storage
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(uname -sm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
"$moto_venv/bin/python" scripts/bench/storage_transfer.py "$root/target/release/examples/storage" "$work" "${1:-1024}"
