# Sourced by scripts/test and scripts/run: one virtual environment in .venv, rebuilt when pyproject.toml
# changes or when GTK's development files appear or go (so installing the menu packages after the first
# run and running again brings the menu: the venv is reinstalled with the gtk extra).
# scripts/run sets CLAUDE_TRAY_VENV_TEST=0: the tray alone needs none of the test tools (PyInstaller, mypy…),
# so a first run installs only what it runs; scripts/test adds them the first time it needs them.
VENV="${CLAUDE_TRAY_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
gtk=""
# PyGObject (the Linux menu) builds from source against GTK's introspection data; without those
# headers the tray still runs on the xorg backend, with no menu (`claude-tray doctor` explains).
if [ "$(uname -s)" = Linux ] && pkg-config --exists gobject-introspection-1.0 cairo 2>/dev/null; then
    gtk="gtk"
fi
stamp="$VENV/.installed-$( (cat pyproject.toml; echo "gtk=$gtk") | sha1sum | cut -c1-12)"
installed=$(cat "$stamp" 2>/dev/null || echo "none")  # the extras installed for this pyproject and GTK
test=""
if [ "${CLAUDE_TRAY_VENV_TEST:-1}" = 1 ] || [[ ",$installed," == *",test,"* ]]; then test="test"; fi
if [ "$installed" = none ] || { [ -n "$test" ] && [[ ",$installed," != *",test,"* ]]; }; then
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # The distribution was called claude-usage-tray before: its install owns the same script and path entry.
    if "$VENV/bin/python" -m pip show -q claude-usage-tray >/dev/null 2>&1; then
        "$VENV/bin/python" -m pip uninstall -q -y claude-usage-tray
    fi
    extras=$(printf '%s\n' $test $gtk | paste -sd, -)
    # Editable: `package-dir = {"" = "."}` in pyproject.toml makes it one plain .pth path entry
    "$VENV/bin/python" -m pip install -q -e ".${extras:+[$extras]}"
    rm -f "$VENV"/.installed-*
    printf '%s\n' "$extras" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
