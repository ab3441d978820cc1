#!/usr/bin/env bash
# Installs the UI's npm packages (from package-lock.json) and builds ui/dist, which the desktop
# app embeds. Quiet when everything is current.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent
