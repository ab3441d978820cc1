#!/usr/bin/env bash
# Builds the Debian package of the room server: target/debian/hearth-host_<version>_<arch>.deb
# (hearth-host in /usr/bin, a systemd unit running it as the `hearth` system user with its
# settings and secret from /etc/hearth/hearth-host.env, restart on failure). docs/DEPLOY.md says
# how to use it. The desktop app's .deb (Tauri's bundler) is not built here yet (issue 17).
#
#   scripts/package.sh            # release build, then the .deb
#   SKIP_BUILD=1 scripts/package.sh
#   BIN=target/debug/hearth-host scripts/package.sh   # package that binary (the tests do)
set -euo pipefail
cd "$(dirname "$0")/.."

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
mkdir -p target/debian
deb="target/debian/hearth-host_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
