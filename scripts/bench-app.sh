#!/usr/bin/env bash
# Measures the desktop app's footprint: RSS and CPU of the `hearth` process idle in its own LAN
# room, then in a 10-user call (the app plus 9 `hearth-bot`s talking beside it, a P2P mesh in
# the open area). Runs the app under Xvfb with synthetic audio (silence in, a recording out).
#   scripts/bench-app.sh [debug|release]   (default: release; builds what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-release}
flag=$([ "$profile" = release ] && echo --release || true)
[ -n "${SKIP_BUILD:-}" ] || scripts/ui.sh
[ -n "${SKIP_BUILD:-}" ] || cargo build $flag -j 2 -p hearth-client --bin hearth -p hearth-engine --bin hearth-bot
bin=${CARGO_TARGET_DIR:-target}/$profile
work=$(mktemp -d)
trap 'pkill -f "$work/settings.json" || true; pkill -P $$ || true; rm -rf "$work"' EXIT

xvfb-run -a -s "-screen 0 1280x800x24" "$bin/hearth" --host --host-port 0 --name Host \
  --record "$work/rec" --settings "$work/settings.json" > "$work/app.log" 2>&1 &
for _ in $(seq 100); do grep -q "joined the world" "$work/app.log" && break; sleep 0.2; done
invite=$(grep -o 'hearth://[^ ]*' "$work/app.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g')
pid=$(pgrep -n -f "$bin/hearth --host")
[ -n "$invite" ] && [ -n "$pid" ] || { echo "the app did not start"; cat "$work/app.log"; exit 1; }

ticks=$(getconf CLK_TCK)
# The app process, and with it its webview's processes (WebKit's web and network processes).
tree() { echo "$pid"; pgrep -P "$pid" | while read -r child; do echo "$child"; pgrep -P "$child"; done; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# Proportional set size: shared pages split between the processes that map them, so the
# processes' figures add up to what the app really takes.
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
pss_by_process() {
  local line=""
  for p in $(tree); do
    line="$line $(cat "/proc/$p/comm" 2>/dev/null) $(($(pss_kb "$p") / 1024)) MB,"
  done
  echo "  PSS:${line%,}; total $(($(sum pss_kb) / 1024)) MB"
}
sum() { local total=0; for p in $(tree); do total=$((total + $("$1" "$p"))); done; echo "$total"; }
percent() { awk -v d="$1" -v t="$ticks" -v s="$2" 'BEGIN {printf "%.2f", 100 * d / t / s}'; }
measure() { # label seconds
  local app0 all0 app1 all1
  app0=$(cpu_ticks "$pid"); all0=$(sum cpu_ticks); sleep "$2"; app1=$(cpu_ticks "$pid"); all1=$(sum cpu_ticks)
  echo "$1: hearth CPU $(percent $((app1 - app0)) "$2") % of a core, RSS $(($(rss_kb "$pid") / 1024)) MB;" \
    "with its webview processes CPU $(percent $((all1 - all0)) "$2") %, RSS $(($(sum rss_kb) / 1024)) MB"
  pss_by_process
}

sleep 5
measure "idle in its own room" 20
addr=${invite#hearth://}; addr=${addr%%/join/*}; code=${invite##*/join/}
for i in $(seq 1 9); do
  "$bin/hearth-bot" world --url "ws://$addr/world" --invite "$code" --name "bot$i" \
    --tone $((300 + 40 * i)) --duration 120s > /dev/null 2>&1 &
done
sleep 15
measure "10-user call (9 bots talking, P2P mesh)" 20
