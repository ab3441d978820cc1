#!/usr/bin/env bash
# Installs what Hearth needs on a fresh Debian machine: system libraries, the browser for tests.
# Idempotent: only calls apt-get when a package is missing. Needs root (or sudo).
set -euo pipefail

# pulseaudio (with pulseaudio-utils for parec) gives the audio-device tests a real-time paced
# virtual device: tests/e2e/devices/ starts a private daemon with null sinks, reached through
# cpal's native PulseAudio host. Its package would also
# make PulseAudio the ALSA default of the whole machine (/etc/alsa/conf.d/99-pulse.conf); that
# file is diverted away before the install, so the machine's ALSA default stays as it was.
# libwebkit2gtk-4.1-dev: the desktop app's webview (Tauri 2). xvfb, xauth, webkit2gtk-driver: the
# app's window tests run it under a virtual display and drive it over WebDriver. coturn: the TURN
# tests start their own turnserver on loopback ports (the package's system service is not used).
packages=(pkg-config libopus-dev libasound2-dev chromium pulseaudio pulseaudio-utils
  libwebkit2gtk-4.1-dev xvfb xauth webkit2gtk-driver coturn)
# The UI is built with npm; Debian's nodejs when the machine has none.
command -v npm >/dev/null || packages+=(nodejs npm)
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
pulse_default=/etc/alsa/conf.d/99-pulse.conf
if ! dpkg-divert --list "$pulse_default" | grep -q hearth; then
  $sudo_cmd mkdir -p /etc/alsa/conf.d
  $sudo_cmd dpkg-divert --package hearth-deps --rename \
    --divert "$pulse_default.hearth-disabled" --add "$pulse_default" >/dev/null
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "deps: cargo not found; install Rust from rustup.rs" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || echo "deps: the UI build wants Node.js 20 or newer (found $(node --version 2>/dev/null || echo none))" >&2
