#!/usr/bin/env bash
# Runs Hearth on this machine; installs what is missing.
# - With a display: the desktop app, hosting a LAN room with the demo world (port 7800), so a
#   new user sees a world at once. Extra arguments go to `hearth` (`--join LINK`, `--name`).
# - Without one: the room server alone (`hearth-host`, demo world, port 7800). Extra arguments
#   go to `hearth-host`, e.g. `scripts/run.sh --public-ip 192.168.1.20`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  scripts/ui.sh
  cargo build --release -j 2 -p hearth-client --bin hearth
  if [ $# -eq 0 ]; then set -- --host; fi
  exec target/release/hearth "$@"
fi
cargo build --release -j 2 -p hearth-sfu-core --bin hearth-host
exec target/release/hearth-host "$@"
