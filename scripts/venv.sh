# Sourced by scripts/test and scripts/run: one virtual environment in .venv, rebuilt when pyproject.toml
# changes or when GTK's development files appear or go (so installing the menu packages after the first
# run and running again brings the menu: the venv is reinstalled with the gtk extra).
VENV="${CLAUDE_TRAY_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
extras="test"
# PyGObject (the Linux menu) builds from source against GTK's introspection data; without those
# headers the tray still runs on the xorg backend, with no menu (`claude-tray doctor` explains).
if [ "$(uname -s)" = Linux ] && pkg-config --exists gobject-introspection-1.0 cairo 2>/dev/null; then
    extras="test,gtk"
fi
stamp="$VENV/.installed-$( (cat pyproject.toml; echo "extras=$extras") | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # The distribution was called claude-usage-tray before: its install owns the same script and path entry.
    if "$VENV/bin/python" -m pip show -q claude-usage-tray >/dev/null 2>&1; then
        "$VENV/bin/python" -m pip uninstall -q -y claude-usage-tray
    fi
    # Editable: `package-dir = {"" = "."}` in pyproject.toml makes it one plain .pth path entry
    "$VENV/bin/python" -m pip install -q -e ".[$extras]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
