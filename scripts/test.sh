#!/usr/bin/env bash
# Runs every check and test of the workspace. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

export CARGO_TERM_COLOR=never
# CI must not skip the browser test for lack of a browser.
export HEARTH_REQUIRE_BROWSER=1
# Nor the audio-device tests for lack of PulseAudio (scripts/deps.sh installs it).
export HEARTH_REQUIRE_AUDIO=1
# Nor the desktop app's window test for lack of Xvfb or WebKitWebDriver.
export HEARTH_REQUIRE_DESKTOP=1
# The TURN tests start Debian's coturn (scripts/deps.sh installs it); without it they fail.
export HEARTH_REQUIRE_TURN=1

# The engine and hearth-bot need no UI, Node or WebKit: on a fresh clone this builds them before
# ui/dist exists (its tests check the bot links no webview or toolkit library).
echo "== the headless engine and hearth-bot, before the UI exists"
cargo build -j 2 -p hearth-engine --bin hearth-bot

# The app embeds ui/dist, so the UI is built before anything compiles the app.
echo "== UI: type-check, build, unit tests"
scripts/ui.sh
(cd ui && npm test --silent)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -j 2 -- -D warnings
echo "== cargo test"
# Media tests run real WebRTC sessions; two at a time keeps a 2-core machine responsive.
# The world voice tests measure gaps in what a listener hears with up to ten clients in one
# process, and the device tests run real-time audio through private PulseAudio daemons: they run
# one at a time after the rest, so a browser test beside them cannot stretch a gap or starve a
# sound server (each passes alone with another process keeping one core busy).
cargo test --workspace -j 2 -- --test-threads=2 --skip world_voice:: --skip devices::
cargo test -p hearth-e2e --test e2e -j 2 -- --test-threads=1 devices:: world_voice::
echo "== the hearth-host .deb (of the debug build), unpacked and checked"
cargo build -j 2 -p hearth-sfu-core --bin hearth-host
scripts/check-package.sh "$(BIN=target/debug/hearth-host scripts/package.sh host)"
echo "== the app's .deb (Tauri's bundler, debug build), unpacked and started under Xvfb"
app_deb=$(APP_PROFILE=debug scripts/package.sh app)
HEARTH_APP_DEB="$PWD/$app_deb" cargo test -j 2 -p hearth-client --test app_window -- the_installed_app
echo "== UI: end-to-end in headless Chromium (mock backend)"
(cd ui && npm run e2e --silent)
