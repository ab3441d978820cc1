#!/usr/bin/env bash
# Installs what Hearth needs on a fresh Debian machine: system libraries, the browser for tests.
# Idempotent: only calls apt-get when a package is missing. Needs root (or sudo).
set -euo pipefail

packages=(pkg-config libopus-dev libasound2-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "deps: cargo not found; install Rust from rustup.rs" >&2; exit 1; }
