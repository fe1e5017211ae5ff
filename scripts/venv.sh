# Sourced by scripts/test and scripts/run: one virtual environment in .venv, rebuilt when pyproject changes.
VENV="${CLAUDE_TRAY_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    extras="test"
    # PyGObject (the Linux menu) builds from source against GTK's introspection data; without those
    # headers the tray still runs on the xorg backend, with no menu (`claude-tray doctor` explains).
    if [ "$(uname -s)" = Linux ] && pkg-config --exists gobject-introspection-1.0 cairo 2>/dev/null; then
        extras="test,gtk"
    fi
    # compat mode: a plain .pth path entry; the default editable finder costs ~30 ms at every start-up
    "$VENV/bin/python" -m pip install -q -e ".[$extras]" --config-settings editable_mode=compat
    rm -f "$VENV"/.installed-*
    touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
