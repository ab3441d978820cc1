#!/usr/bin/env bash
# Builds dist/client.js, the mediasoup-client test page bundle of tests/e2e/dspeak_browser.rs.
# Hermetic: `npm ci` installs exactly package-lock.json from the npm registry (no install
# scripts run, nothing else is downloaded), then esbuild bundles client.js.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x node_modules/.bin/esbuild ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts >&2
fi
node_modules/.bin/esbuild client.js --bundle --format=iife --target=chrome100 \
  --log-level=warning --outfile=dist/client.js
