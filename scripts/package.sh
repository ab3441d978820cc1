#!/usr/bin/env bash
# Builds the Debian packages and prints their paths, one per line:
# - host: target/debian/hearth-host_<version>_<arch>.deb (hearth-host in /usr/bin, a systemd
#   unit running it as the `hearth` system user with its settings and secret from
#   /etc/hearth/hearth-host.env, restart on failure); docs/DEPLOY.md says how to use it.
# - app: target/debian/hearth_<version>_<arch>.deb, the desktop app by Tauri's bundler (the
#   `@tauri-apps/cli` in ui/): the binary, its icons, and a desktop entry that registers the
#   `hearth://` invite links (packaging/hearth.desktop), so a clicked invite opens the app's join
#   screen with the link filled in. Needs the UI built (ui/dist).
#
#   scripts/package.sh [host|app|all]   # release builds, then the .debs (default: all)
#   SKIP_BUILD=1 scripts/package.sh host
#   BIN=target/debug/hearth-host scripts/package.sh host   # package that binary (the tests do)
#   APP_PROFILE=debug scripts/package.sh app                # a debug build of the app (the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
mkdir -p target/debian

package_app() {
  local flags=(--ci --bundles deb) profile=${APP_PROFILE:-release}
  [ "$profile" = debug ] && flags+=(--debug)
  [ -x ui/node_modules/.bin/tauri ] || (cd ui && npm ci --no-audit --no-fund >/dev/null)
  [ -f ui/dist/index.html ] || (cd ui && npm run build >/dev/null)
  (cd src-tauri && ../ui/node_modules/.bin/tauri build "${flags[@]}" >&2)
  local built version arch
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
  arch=$(dpkg --print-architecture)
  built="target/$profile/bundle/deb/Hearth_${version}_${arch}.deb"
  cp "$built" "target/debian/hearth_${version}_${arch}.deb"
  echo "target/debian/hearth_${version}_${arch}.deb"
}

case $what in
  host | all) ;;
  app) package_app; exit 0 ;;
  *) echo "usage: scripts/package.sh [host|app|all]" >&2; exit 2 ;;
esac

bin=${BIN:-target/release/hearth-host}
[ -n "${SKIP_BUILD:-}${BIN:-}" ] || cargo build --release -j 2 -p hearth-sfu-core --bin hearth-host
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

install -Dm755 "$bin" "$root/usr/bin/hearth-host"
install -Dm644 packaging/hearth-host.service "$root/lib/systemd/system/hearth-host.service"
install -Dm600 packaging/hearth-host.env "$root/etc/hearth/hearth-host.env"
install -Dm644 docs/DEPLOY.md "$root/usr/share/doc/hearth-host/DEPLOY.md"
install -d "$root/DEBIAN"
install -m755 packaging/hearth-host.postinst "$root/DEBIAN/postinst"
echo "/etc/hearth/hearth-host.env" >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<EOF
Package: hearth-host
Version: $version
Architecture: $arch
Maintainer: Hearth <hearth@localhost>
Depends: libc6, libgcc-s1, adduser
Section: net
Priority: optional
Description: Hearth room server: world server, SFU and interop on one port
 Hosts Hearth voice worlds: the world server (/world), the SFU (/signal and the
 dspeak-compatible /socket) and the interop link between them, on one HTTP port
 and one UDP port per SFU worker.
EOF
deb="target/debian/hearth-host_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
[ "$what" = all ] && package_app
exit 0
