#!/usr/bin/env bash
# Build dist/claude-tray_<version>-1_<arch>.deb: a one-directory PyInstaller build of `claude-tray` (Python,
# Pillow, pystray with its GTK/AppIndicator menus, Tk for the debug window) in /usr/lib/claude-tray, linked
# from /usr/bin/claude-tray; the application entry, hicolor icons and AppStream metainfo; a manual page made
# from the argument parser (argparse-manpage) and bash/zsh completions (shtab); copyright and changelogs.
#
#   packaging/build-deb.sh            # uses .venv/bin/python, which needs the test extra (pyinstaller, …)
#   PYTHON=python3 OUT_DIR=/tmp packaging/build-deb.sh
#
# One directory, not one file: nothing is unpacked at start, so a command starts about as fast as from a venv.
# The PyInstaller build (2–4 minutes) is kept in $BUILD_CACHE (default build/pyinstaller/, gitignored) under
# a hash of its inputs (the sources, the spec, the interpreter and every installed distribution's version)
# and reused while they are unchanged. Icons come from icons/claude-tray-<N>.png (scripts/make_icons.py);
# ICONS_DIR overrides that folder. DEB_COMPRESS is passed to dpkg-deb (default `-Zxz`; tests use gzip -1).
# The last line printed is the path of the .deb. No maintainer scripts: the hicolor, desktop and man caches
# are refreshed by dpkg triggers of the packages that own them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
OUT_DIR=${OUT_DIR:-$ROOT/dist}
ICONS_DIR=${ICONS_DIR:-$ROOT/icons}
BUILD_CACHE=${BUILD_CACHE:-$ROOT/build/pyinstaller}
MAINTAINER=${MAINTAINER:-The claude-tray developers <claude-tray@users.noreply.github.com>}
DEB_COMPRESS=${DEB_COMPRESS:--Zxz}
APP_ID=io.github.claude_tray.claude_tray
ICON=claude-tray
URL=https://github.com/claude-tray/claude-tray
# Sizes the hicolor theme's index.theme lists; others would be installed but never looked up.
HICOLOR_SIZES="16 22 24 32 48 64 96 128 256 512"

die() { echo "build-deb: $*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps patchelf strip; do
    command -v "$tool" >/dev/null || die "$tool not found: on Debian or Ubuntu, apt-get install dpkg-dev patchelf binutils"
done
for module in PyInstaller argparse_manpage shtab; do
    "$PYTHON" -c "import $module" 2>/dev/null || die "$module missing: $PYTHON -m pip install -e '.[test]'"
done

version=$(cd "$ROOT" && "$PYTHON" -c 'import tray; print(tray.__version__)')
debian_version="$version-1"
arch=$(dpkg --print-architecture)
# Reproducible dates (man page, changelog): the last commit's, else now.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

work=$(mktemp -d "${TMPDIR:-/tmp}/claude-tray-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the one-directory build, reused while its inputs are unchanged -------------------------------------------
key=$(cd "$ROOT" && "$PYTHON" - <<'PY'
import hashlib, os, sys
from importlib import metadata
digest = hashlib.sha256(sys.version.encode())
for folder in ("tray", "packaging/pyinstaller"):
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".spec", ".typed")):
                path = os.path.join(top, name)
                digest.update(path.encode() + b"\0")
                with open(path, "rb") as source:
                    digest.update(source.read() + b"\0")
dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
digest.update("\n".join(dists).encode())
print(digest.hexdigest()[:16])
PY
)
mkdir -p "$BUILD_CACHE"
built="$BUILD_CACHE/$key/claude-tray"
exec 9>"$BUILD_CACHE/.lock"
flock 9  # two builds at once (parallel test runs) wait for each other instead of racing
if [ -x "$built/claude-tray" ]; then
    echo "build-deb: reusing the PyInstaller build $key (inputs unchanged)" >&2
else
    echo "build-deb: PyInstaller build of claude-tray $version ($arch), key $key…" >&2
    find "$BUILD_CACHE" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +  # older builds
    (cd "$ROOT" && "$PYTHON" -m PyInstaller --noconfirm --log-level ERROR \
        --distpath "$BUILD_CACHE/$key.partial" --workpath "$work/build" packaging/pyinstaller/claude-tray.spec) >&2
    "$BUILD_CACHE/$key.partial/claude-tray/claude-tray" --version >/dev/null || die "the built program does not run"
    mkdir -p "$BUILD_CACHE/$key"
    mv "$BUILD_CACHE/$key.partial/claude-tray" "$built"
    rmdir "$BUILD_CACHE/$key.partial"
fi
exec 9>&-

# --- the package tree ---------------------------------------------------------------------------------------
pkg="$work/root"
doc="$pkg/usr/share/doc/claude-tray"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/lib" "$pkg/usr/share/applications" \
    "$pkg/usr/share/metainfo" "$pkg/usr/share/man/man1" "$pkg/usr/share/bash-completion/completions" \
    "$pkg/usr/share/zsh/vendor-completions" "$pkg/usr/share/lintian/overrides" "$doc"
lib="$pkg/usr/lib/claude-tray"
cp -R "$built" "$lib"
chmod -R u=rwX,go=rX "$lib"
# ELF files as Debian wants them: shared libraries not executable and stripped; no run path into the build
# machine (the interpreter's own extension modules point at where it was built; `$ORIGIN` paths stay, wheels'
# libraries find each other by them).
mapfile -d '' elves < <(find "$lib" -type f \( -name '*.so' -o -name '*.so.*' \) -print0)
for file in "${elves[@]}"; do
    chmod 0644 "$file"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$file"
    rpath=$(patchelf --print-rpath "$file")
    if [ -n "$rpath" ]; then
        kept=$(tr ':' '\n' <<<"$rpath" | grep '^\$ORIGIN' | paste -sd: || true)
        if [ -z "$kept" ]; then patchelf --remove-rpath "$file"; elif [ "$kept" != "$rpath" ]; then
            patchelf --set-rpath "$kept" "$file"; fi
    fi
done
strip --strip-unneeded --remove-section=.comment "$lib/claude-tray"  # the archive is an ELF section: kept
# GdkPixbuf's loader list with the installed paths (PyInstaller's own hook rewrote a temp copy at every start)
pixbuf_cache="$lib/_internal/lib/gdk-pixbuf/loaders.cache"
if [ -f "$pixbuf_cache" ]; then
    sed -i 's|"@executable_path/lib/|"/usr/lib/claude-tray/_internal/lib/|' "$pixbuf_cache"
fi
"$lib/claude-tray" --version >/dev/null || die "the stripped program does not run"
# The libraries left out of the build (spec: SYSTEM_DIRS) and those the bundled ones link against, as
# dpkg-shlibdeps finds them; GTK and Ayatana AppIndicator are loaded through their typelibs, which it cannot see.
mkdir -p "$work/shlibs/debian"
printf 'Source: claude-tray\n\nPackage: claude-tray\nArchitecture: any\n' > "$work/shlibs/debian/control"
mapfile -t libdirs < <(printf '%s\n' "${elves[@]}" | xargs -n1 dirname | sort -u | sed 's/^/-l/')
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O --ignore-missing-info "${libdirs[@]}" "$lib/claude-tray" "${elves[@]}" \
    2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies"
depends="$shlibs, libgtk-3-0 (>= 3.24), libayatana-appindicator3-1"
ln -s ../lib/claude-tray/claude-tray "$pkg/usr/bin/claude-tray"
install -m 0644 "$ROOT/packaging/linux/$APP_ID.desktop" "$pkg/usr/share/applications/"
install -m 0644 "$ROOT/packaging/linux/$APP_ID.metainfo.xml" "$pkg/usr/share/metainfo/"
install -m 0644 "$ROOT/packaging/linux/copyright" "$doc/copyright"
install -m 0644 "$ROOT/README.md" "$doc/README.md"
gzip -9n < "$ROOT/CHANGELOG.md" > "$doc/changelog.gz"
{
    echo "claude-tray ($debian_version) unstable; urgency=medium"
    echo
    echo "  * Upstream release $version; see changelog.gz (the project's CHANGELOG.md)."
    echo
    echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc"/*.gz

# The manual page and completions come from the same parser `claude-tray --help` prints.
(cd "$ROOT" && COLUMNS=80 PYTHONPATH="$ROOT" "$PYTHON" -c 'import sys; from argparse_manpage.cli import main; sys.exit(main())' --module tray.cli --function _parser \
    --project-name claude-tray --prog claude-tray --version "$version" --url "$URL" \
    --author "The claude-tray developers" --manual-title "claude-tray manual" \
    --description "system-tray ring showing your Claude subscription limits") | gzip -9n > "$pkg/usr/share/man/man1/claude-tray.1.gz"
(cd "$ROOT" && PYTHONPATH="$ROOT" "$PYTHON" -m shtab --shell=bash --prog claude-tray tray.cli._parser) \
    > "$pkg/usr/share/bash-completion/completions/claude-tray"
(cd "$ROOT" && PYTHONPATH="$ROOT" "$PYTHON" -m shtab --shell=zsh --prog claude-tray tray.cli._parser) \
    > "$pkg/usr/share/zsh/vendor-completions/_claude-tray"
chmod 0644 "$pkg/usr/share/man/man1/claude-tray.1.gz" "$pkg/usr/share/bash-completion/completions/claude-tray" \
    "$pkg/usr/share/zsh/vendor-completions/_claude-tray"

icons=0
for size in $HICOLOR_SIZES; do
    png="$ICONS_DIR/claude-tray-$size.png"
    [ -f "$png" ] || continue
    actual=$("$PYTHON" -c 'import sys; from PIL import Image; print("%dx%d" % Image.open(sys.argv[1]).size)' "$png")
    [ "$actual" = "${size}x${size}" ] || die "$png is $actual, expected ${size}x${size}"
    install -D -m 0644 "$png" "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/$ICON.png"
    icons=$((icons + 1))
done
[ "$icons" -gt 0 ] || die "no icons/claude-tray-<size>.png in $ICONS_DIR: run scripts/make_icons.py first"
find "$pkg/usr/share" -type d -exec chmod 0755 {} +

# Only the overrides whose files are in this build (matplotlib, say, is there only when the build venv has it):
# lintian warns about an override that matches nothing.
while IFS= read -r line; do
    if [[ $line =~ ^claude-tray:.*\[([^]]+)\]$ ]]; then
        pattern=${BASH_REMATCH[1]}
        compgen -G "$pkg/${pattern%%:*}" >/dev/null || continue
    fi
    printf '%s\n' "$line"
done < "$ROOT/packaging/linux/lintian-overrides" > "$pkg/usr/share/lintian/overrides/claude-tray"
chmod 0644 "$pkg/usr/share/lintian/overrides/claude-tray"

installed_kb=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: claude-tray
Version: $debian_version
Section: utils
Priority: optional
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $installed_kb
Depends: $depends
Suggests: gnome-shell-extension-appindicator
Homepage: $URL
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
deb="$OUT_DIR/claude-tray_${debian_version}_${arch}.deb"
# shellcheck disable=SC2086  # DEB_COMPRESS is options, split on purpose
dpkg-deb --build --root-owner-group $DEB_COMPRESS "$pkg" "$deb" >&2
echo "$deb"
