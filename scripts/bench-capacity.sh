#!/usr/bin/env bash
# SFU capacity on this machine: the highest forwarded packets/s before probe loss exceeds 0.1 %,
# for hearth-host with 1 worker (one room) and 2 workers (two rooms, one per worker), and for the
# Pion peer (../shared/peers) with one and two rooms. Each step grows the listeners (split over the
# rooms; 10 speakers per room); a configuration's sweep stops at its first step whose loss exceeds
# the loss of its first step by more than 0.1 % (the Pion peer loses 9.2 % of probes at any load,
# its own bug, so its quiet loss is the baseline), or when the run fails. One line per step (forwarded packets/s, loss, the SFU's and the load
# generator's CPU, so it shows which side saturated), and last the capacity of each configuration.
#
#   scripts/bench-capacity.sh
#   STEPS="100 200 300 400 500" DURATION=15s SPEAKERS=10 scripts/bench-capacity.sh
#   CONFIGS="hearth-1 hearth-2" scripts/bench-capacity.sh        # Hearth only
#
# Not part of scripts/test.sh: it takes 15-30 minutes and wants an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/peers}
STEPS=${STEPS:-100 200 300 400 500 600}
DURATION=${DURATION:-15s}
SPEAKERS=${SPEAKERS:-10}
CONFIGS=${CONFIGS:-hearth-1 hearth-2 pion-1 pion-2}
SECRET=benchsecret-0123456789abcdef0123456789
LOSS_LIMIT=0.1

cargo build --release -j 2 -p hearth-engine --bin hearth-bot -p hearth-sfu-core --bin hearth-host
bin=$(pwd)/target/release
pion="${XDG_CACHE_HOME:-$HOME/.cache}/pion-sfu/pion-sfu"
if [[ $CONFIGS == *pion* ]] && [ ! -x "$pion" ]; then
  "$PEERS/pion-sfu/build.sh" "$pion" >/dev/null 2>&1 || { echo "the Pion peer does not build" >&2; exit 1; }
fi
ulimit -n "$(ulimit -Hn)" # a socket and a WebSocket per client
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run_step SERVER ROOMS LISTENERS_PER_ROOM -> one JSON report on stdout (empty if the run failed)
run_step() {
  local server=$1 rooms=$2 listeners=$3 cmd
  case $server in
    hearth) cmd=("$bin/hearth-host" --workers "$rooms" --max-channel-peers 1000) ;;
    pion) cmd=("$pion") ;;
  esac
  "${cmd[@]}" --listen 127.0.0.1:0 --udp 127.0.0.1:0 --secret "$SECRET" >"$out/listen" 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do grep -q '"http"' "$out/listen" 2>/dev/null && break; sleep 0.1; done
  local http
  http=$(grep -o '"http":"[^"]*"' "$out/listen" | head -1 | cut -d'"' -f4)
  "$bin/hearth-bot" load --url "ws://$http/signal" --secret "$SECRET" --host-pid "$pid" \
    --rooms "$rooms" --speakers "$SPEAKERS" --listeners "$listeners" --duration "$DURATION" \
    2>"$out/table" | tail -n 1 || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

summary=()
for config in $CONFIGS; do
  server=${config%-*}
  rooms=${config#*-}
  best=none
  baseline=
  for total in $STEPS; do
    report=$(run_step "$server" "$rooms" $((total / rooms)))
    [ -n "$baseline" ] || baseline=$(python3 -c 'import json,sys
try: print(json.loads(sys.argv[1])["loss_pct"] or 0)
except Exception: print(0)' "$report")
    line=$(python3 - "$report" "$LOSS_LIMIT" "$baseline" <<'PY'
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    print("failed"); sys.exit(0)
loss = d.get("loss_pct")
limit = float(sys.argv[2]) + float(sys.argv[3])
ok = loss is not None and loss <= limit and d.get("sessions_ended_early", 0) == 0
f = lambda v, fmt: "n/a" if v is None else fmt.format(v)
print(("ok" if ok else "over"),
      f(d.get("forwarded_pps"), "{:.0f}"),
      "loss", f(loss, "{:.3f}%"),
      "sfu_cpu", f(d.get("sfu_cpu_pct_of_core"), "{:.0f}%"),
      "us/pkt", f(d.get("sfu_cpu_us_per_packet"), "{:.2f}"),
      "loadgen_cpu", f(d.get("loadgen_cpu_pct_of_core"), "{:.0f}%"),
      "e2e_p99", f(d.get("e2e_latency_p99_ms"), "{:.1f}ms"))
PY
)
    echo "$config listeners=$total $line"
    read -r verdict pps _ <<<"$line"
    [ "$verdict" = ok ] || break
    best=$pps
  done
  summary+=("$config: $best forwarded packets/s (loss within $LOSS_LIMIT % of its first step's $baseline %)")
done
echo "== capacity (highest step within the loss limit)"
printf '%s\n' "${summary[@]}"
