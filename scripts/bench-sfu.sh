#!/usr/bin/env bash
# SFU forwarding cost against the Pion peer (../shared/peers), the same `hearth-bot load` clients
# against each, alternating in one run: the listen-only room, then the room a voice world has
# (every listener also publishes a muted microphone). Each prints one line per run and, last, the
# median ratio of CPU per forwarded packet (Hearth / Pion). Figures go in docs/BENCHMARKS.md.
#
#   scripts/bench-sfu.sh                       # 10 speakers -> 100 listeners, 20 s, 3 rounds
#   SPEAKERS=10 LISTENERS=100 DURATION=20s ROUNDS=3 scripts/bench-sfu.sh
#   PEERS=/path/to/shared/peers scripts/bench-sfu.sh
#
# Not part of scripts/test.sh: it takes about 4 minutes a round and wants an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/peers}
[ -x "$PEERS/compare-sfu.sh" ] || [ -f "$PEERS/compare-sfu.sh" ] || {
  echo "bench-sfu: $PEERS/compare-sfu.sh not found (set PEERS)" >&2
  exit 1
}
cargo build --release -j 2 -p hearth-engine --bin hearth-bot -p hearth-sfu-core --bin hearth-host
bin=$(pwd)/target/release
for room in listen-only muted-mics; do
  flags=()
  [ "$room" = muted-mics ] && flags=(--muted-mics)
  echo "== $room room: ${SPEAKERS:-10} speakers -> ${LISTENERS:-100} listeners"
  bash "$PEERS/compare-sfu.sh" "$bin" "${SPEAKERS:-10}" "${LISTENERS:-100}" "${DURATION:-20s}" \
    "${ROUNDS:-3}" "${flags[@]}"
done
