#!/usr/bin/env bash
# Build dist/claude-usage-tray_<version>_<arch>.deb: a one-file PyInstaller `claude-tray` (Python, Pillow,
# pystray and its GTK/AppIndicator menus inside), the application entry and the hicolor icons.
#
#   packaging/build-deb.sh            # uses .venv/bin/python, which needs `pip install pyinstaller`
#   PYTHON=python3 OUT_DIR=/tmp packaging/build-deb.sh
#
# Icons come from icons/claude-tray-<N>.png (scripts/make_icons.py); ICONS_DIR overrides that folder.
# The last line printed is the path of the .deb. No maintainer scripts: hicolor and desktop caches are
# refreshed by dpkg triggers of the packages that own them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
OUT_DIR=${OUT_DIR:-$ROOT/dist}
ICONS_DIR=${ICONS_DIR:-$ROOT/icons}
MAINTAINER=${MAINTAINER:-claude-usage-tray developers <claude-usage-tray@users.noreply.github.com>}
# Sizes the hicolor theme's index.theme lists; others would be installed but never looked up.
HICOLOR_SIZES="16 22 24 32 48 64 96 128 256 512"

die() { echo "build-deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: run this on Debian or Ubuntu."
"$PYTHON" -c 'import PyInstaller' 2>/dev/null || die "PyInstaller missing: $PYTHON -m pip install pyinstaller"

version=$(cd "$ROOT" && "$PYTHON" -c 'import tray; print(tray.__version__)')
arch=$(dpkg --print-architecture)
# The PyInstaller bootloader and the bundled libraries need at least the glibc they were built against.
glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')

work=$(mktemp -d "${TMPDIR:-/tmp}/claude-tray-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "build-deb: PyInstaller build of claude-tray $version ($arch)…" >&2
(cd "$ROOT" && "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$work/dist" --workpath "$work/build" packaging/pyinstaller/claude-tray.spec) >&2
"$work/dist/claude-tray" --version >/dev/null || die "the built executable does not run"

pkg="$work/root"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/applications" \
    "$pkg/usr/share/doc/claude-usage-tray"
install -m 0755 "$work/dist/claude-tray" "$pkg/usr/bin/claude-tray"
install -m 0644 "$ROOT/packaging/linux/claude-usage-tray.desktop" "$pkg/usr/share/applications/"
[ -f "$ROOT/README.md" ] && install -m 0644 "$ROOT/README.md" "$pkg/usr/share/doc/claude-usage-tray/"

icons=0
for size in $HICOLOR_SIZES; do
    png="$ICONS_DIR/claude-tray-$size.png"
    [ -f "$png" ] || continue
    actual=$("$PYTHON" -c 'import sys; from PIL import Image; print("%dx%d" % Image.open(sys.argv[1]).size)' "$png")
    [ "$actual" = "${size}x${size}" ] || die "$png is $actual, expected ${size}x${size}"
    install -D -m 0644 "$png" "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/claude-usage-tray.png"
    icons=$((icons + 1))
done
[ "$icons" -gt 0 ] || die "no icons/claude-tray-<size>.png in $ICONS_DIR: run scripts/make_icons.py first"

installed_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: claude-usage-tray
Version: $version
Section: utils
Priority: optional
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $installed_kb
Depends: libc6 (>= $glibc)
Suggests: gnome-shell-extension-appindicator
Description: system-tray ring showing your Claude subscription limits
 A tray icon that shows how much of a Claude Pro/Max/Team subscription's
 5-hour session window and 7-day weekly window is used, read from the
 credentials Claude Code already keeps. Menu: refresh, the claude.ai usage
 page, the last error, launch at login. Also a command line: claude-tray
 status, refresh, doctor, statusline.
 .
 GNOME shows tray icons only with the AppIndicator extension.
CONTROL
chmod 0644 "$pkg/DEBIAN/control"

mkdir -p "$OUT_DIR"
deb="$OUT_DIR/claude-usage-tray_${version}_${arch}.deb"
dpkg-deb --build --root-owner-group "$pkg" "$deb" >&2
echo "$deb"
