#!/usr/bin/env bash
# Runs Hearth's room server on this machine (HTTP and UDP on port 7800).
# Extra arguments go to hearth-host, e.g. `scripts/run.sh --public-ip 192.168.1.20`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release -j 2 -p hearth-sfu-core --bin hearth-host
exec target/release/hearth-host "$@"
