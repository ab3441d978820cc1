#!/usr/bin/env bash
# Checks the hearth-host .deb without installing it on this machine: unpacks it into a
# throwaway root, runs the unpacked `hearth-host --version`, checks the control fields, the
# conffile and the systemd unit (`systemd-analyze verify`, pointed at the unpacked files), and
# runs the postinst's shell through `sh -n`. scripts/test.sh runs it on a package of the debug
# build.
#
#   scripts/check-package.sh target/debian/hearth-host_<version>_<arch>.deb
set -euo pipefail
deb=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "check-package: $*" >&2; exit 1; }

dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$root/DEBIAN"
version=$("$root/usr/bin/hearth-host" --version) || fail "the unpacked hearth-host does not run"
[[ $version == "hearth-host "* ]] || fail "unexpected --version: $version"
grep -qx "Package: hearth-host" "$root/DEBIAN/control" || fail "control: no Package"
grep -q "^Depends: .*adduser" "$root/DEBIAN/control" || fail "control: postinst needs adduser"
grep -qx "/etc/hearth/hearth-host.env" "$root/DEBIAN/conffiles" || fail "the env file is no conffile"
[ "$(stat -c %a "$root/etc/hearth/hearth-host.env")" = 600 ] || fail "the env file is readable by others"
sh -n "$root/DEBIAN/postinst" || fail "postinst does not parse"
unit=$root/lib/systemd/system/hearth-host.service
grep -q "^User=hearth$" "$unit" || fail "the unit does not run as hearth"
grep -q "^Restart=on-failure$" "$unit" || fail "the unit does not restart on failure"
# systemd-analyze checks that ExecStart exists: point it at the unpacked files.
sed "s|/usr/bin/hearth-host|$root/usr/bin/hearth-host|; s|/etc/hearth/|$root/etc/hearth/|" \
  "$unit" >"$root/hearth-host.service"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --recursive-errors=no --man=no "$root/hearth-host.service" ||
    fail "systemd-analyze verify refused the unit"
fi
echo "check-package: $deb ok ($version)"
